// `deno test` module of bench/sections/overhead.ts: BENCH_TESTS bare
// Deno.test tests.
import { envCount } from "../_env.ts";

const n = envCount("BENCH_TESTS");
for (let i = 0; i < n; i++) Deno.test("t" + i, () => {});
