import { cases } from "../cases/customers.ts";
import { itkitSuite } from "./_suite.ts";

itkitSuite("customers", cases);
