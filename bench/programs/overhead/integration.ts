// `deno test` module of bench/sections/overhead.ts: BENCH_TESTS
// integration() tests without fixtures.
import { integration } from "../../../mod.ts";
import { envCount } from "../_env.ts";

const n = envCount("BENCH_TESTS");
for (let i = 0; i < n; i++) integration("t" + i, () => {});
