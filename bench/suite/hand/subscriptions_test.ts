import { cases } from "../cases/subscriptions.ts";
import { handSuite } from "./_suite.ts";

await handSuite("subscriptions", cases);
