import { cases } from "../cases/workflows.ts";
import { itkitSuite } from "./_suite.ts";

itkitSuite("workflows", cases);
