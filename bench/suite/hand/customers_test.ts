import { cases } from "../cases/customers.ts";
import { handSuite } from "./_suite.ts";

await handSuite("customers", cases);
