import { cases } from "../cases/invoices.ts";
import { vitestStyleSuite } from "./_suite.ts";

await vitestStyleSuite("invoices", cases);
