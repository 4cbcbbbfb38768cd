// The same tests as redis_spaces.ts, from a second file (--parallel).
import { registerSpaces } from "./_redis_spaces_body.ts";

await registerSpaces("b");
