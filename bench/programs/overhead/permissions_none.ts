// `deno test` module of bench/sections/overhead.ts: BENCH_TESTS Deno.test
// tests with `permissions: "none"` (what every integration test without
// fixtures runs with).
import { envCount } from "../_env.ts";

const n = envCount("BENCH_TESTS");
for (let i = 0; i < n; i++) {
  Deno.test({ name: "t" + i, permissions: "none", fn: () => {} });
}
