import { cases } from "../cases/invoices.ts";
import { itkitSuite } from "./_suite.ts";

itkitSuite("invoices", cases);
