import { cases } from "../cases/workflows.ts";
import { handSuite } from "./_suite.ts";

await handSuite("workflows", cases);
