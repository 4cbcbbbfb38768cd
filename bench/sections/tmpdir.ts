// Section `tmpdir` of `deno task bench`: the temp dir fixture against the
// hand-written makeTempDir + remove.
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { testTime } from "./_program.ts";
import type { SectionOptions } from "./_section.ts";

/**
 * 2. A module of 500 tests writing a file in a temp dir, with tmpDir.fixture()
 * and by hand; whole runs alternate, medians of Deno's reported times.
 *
 * @param options The run's length.
 * @returns Its row.
 */
export async function tmpdir(options: SectionOptions): Promise<Row[]> {
  const n = 500;
  const env = { BENCH_TESTS: String(n) };
  const fixture: number[] = [];
  const hand: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    fixture.push(await testTime("tmpdir/fixture.ts", env));
    hand.push(await testTime("tmpdir/hand.ts", env));
  }
  return [{
    name: `${n} tests with a temp dir`,
    value: median(fixture) / n,
    unit: "ms/test",
    baseline: median(hand) / n,
    ratio: median(fixture) / median(hand),
    note: "tmpDir.fixture() vs Deno.makeTempDir + remove in try/finally",
  }];
}
