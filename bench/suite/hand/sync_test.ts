import { cases } from "../cases/sync.ts";
import { handSuite } from "./_suite.ts";

await handSuite("sync", cases);
