// Section `overhead` of `deno task bench`: what integration() costs per test.
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { runJson, testTime } from "./_program.ts";
import type { SectionOptions } from "./_section.ts";

/**
 * 1. Per-test cost of integration() without fixtures, against bare Deno.test
 * and against Deno.test with `permissions: "none"` (what every integration
 * test without fixtures runs with: Deno's own cost of switching permissions
 * per test). Rounds alternate; the ratio is the median of the per-round
 * ratios, which cancels much of this machine's drift.
 *
 * 1b. The wrapper's own cost, in-process and without the test runner's noise:
 * registration and an empty run of 20,000 tests, through a stand-in
 * Deno.test that only collects definitions.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function overhead(options: SectionOptions): Promise<Row[]> {
  const n = 2000;
  const env = { BENCH_TESTS: String(n) };
  const toolkit: number[] = [];
  const bare: number[] = [];
  const none: number[] = [];
  for (let i = 0; i < options.rounds + 2; i++) {
    bare.push(await testTime("overhead/bare.ts", env));
    toolkit.push(await testTime("overhead/integration.ts", env));
    none.push(await testTime("overhead/permissions_none.ts", env));
  }
  const vsBare = median(toolkit.map((t, i) => t / bare[i]!));
  const vsNone = median(toolkit.map((t, i) => t / none[i]!));
  const noneVsBare = median(none.map((t, i) => t / bare[i]!));

  const samples: { register: number; run: number }[] = [];
  for (let i = 0; i < options.rounds; i++) {
    samples.push(await runJson("overhead/wrapper.ts"));
  }
  return [
    {
      name: `${n} integration() tests, no fixtures, vs bare Deno.test`,
      value: median(toolkit),
      unit: "ms",
      baseline: median(bare),
      ratio: vsBare,
      target: "<= 1.05x bare Deno.test",
      met: vsBare <= 1.05,
    },
    {
      name: `${n} Deno.test with permissions "none", vs bare Deno.test`,
      value: median(none),
      unit: "ms",
      baseline: median(bare),
      ratio: noneVsBare,
      note: "Deno's own cost of per-test permissions",
    },
    {
      name: `${n} integration() tests, vs Deno.test with permissions "none"`,
      value: median(toolkit),
      unit: "ms",
      baseline: median(none),
      ratio: vsNone,
      note: "the toolkit's own wrapper",
    },
    {
      name:
        "integration(): the wrapper's own cost per test (register + empty run)",
      value: median(samples.map((s) => s.register + s.run)),
      unit: "us",
      note: `register ${
        median(samples.map((s) => s.register)).toFixed(2)
      } us, run ${median(samples.map((s) => s.run)).toFixed(2)} us`,
    },
  ];
}
