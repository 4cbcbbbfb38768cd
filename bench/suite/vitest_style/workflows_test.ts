import { cases } from "../cases/workflows.ts";
import { vitestStyleSuite } from "./_suite.ts";

await vitestStyleSuite("workflows", cases);
