import { cases } from "../cases/sync.ts";
import { vitestStyleSuite } from "./_suite.ts";

await vitestStyleSuite("sync", cases);
