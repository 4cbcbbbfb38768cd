import { cases } from "../cases/sync.ts";
import { itkitSuite } from "./_suite.ts";

itkitSuite("sync", cases);
