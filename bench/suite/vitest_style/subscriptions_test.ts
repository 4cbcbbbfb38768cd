import { cases } from "../cases/subscriptions.ts";
import { vitestStyleSuite } from "./_suite.ts";

await vitestStyleSuite("subscriptions", cases);
