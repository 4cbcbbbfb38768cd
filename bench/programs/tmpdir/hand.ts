// `deno test` module of bench/sections/tmpdir.ts: BENCH_TESTS tests, each
// writing a file in a temp dir made and removed by hand.
import { envCount } from "../_env.ts";

const n = envCount("BENCH_TESTS");
for (let i = 0; i < n; i++) {
  Deno.test("t" + i, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(dir + "/a.txt", "x");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
