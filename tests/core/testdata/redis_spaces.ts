// Redis spaces of both kinds (see _redis_spaces_body.ts); redis_spaces_b.ts
// is the same, for a --parallel run of two files at once.
import { registerSpaces } from "./_redis_spaces_body.ts";

await registerSpaces("a");
