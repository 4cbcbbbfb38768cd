import { cases } from "../cases/customers.ts";
import { vitestStyleSuite } from "./_suite.ts";

await vitestStyleSuite("customers", cases);
