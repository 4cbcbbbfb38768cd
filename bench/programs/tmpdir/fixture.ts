// `deno test` module of bench/sections/tmpdir.ts: BENCH_TESTS tests, each
// writing a file in a tmpDir fixture.
import { integration, tmpDir } from "../../../mod.ts";
import { envCount } from "../_env.ts";

const n = envCount("BENCH_TESTS");
for (let i = 0; i < n; i++) {
  integration(
    "t" + i,
    { fixtures: { dir: tmpDir.fixture() } },
    async (_t, { dir }) => {
      await Deno.writeTextFile(dir.join("a.txt"), "x");
    },
  );
}
