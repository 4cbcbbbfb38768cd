import { cases } from "../cases/invoices.ts";
import { handSuite } from "./_suite.ts";

await handSuite("invoices", cases);
