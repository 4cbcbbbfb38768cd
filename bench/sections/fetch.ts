// Section `fetch` of `deno task bench`: the fetch mock on msw.
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { runJson } from "./_program.ts";
import type { SectionOptions } from "./_section.ts";

/** What bench/programs/fetch/mock.ts prints. */
interface Sample {
  load: number;
  install: number;
  mocked: number;
  mockedHttps: number;
  stub: number;
}

/**
 * 7. fetchMock's first install (loads msw), install + dispose, and a mocked
 * request, against a hand-written `globalThis.fetch` stub; each round in a
 * fresh process.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function fetchMockCost(options: SectionOptions): Promise<Row[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < options.rounds; i++) {
    samples.push(await runJson<Sample>("fetch/mock.ts"));
  }
  const m = (key: keyof Sample) => median(samples.map((x) => x[key]));
  return [
    {
      name: "fetchMock: first install in a process (loads msw)",
      value: m("load"),
      unit: "ms",
    },
    { name: "fetchMock: install + dispose", value: m("install"), unit: "ms" },
    {
      name: "fetchMock: a mocked fetch request vs a hand-written fetch stub",
      value: m("mocked"),
      unit: "us",
      baseline: m("stub"),
      ratio: median(samples.map((x) => x.mocked / x.stub)),
    },
    {
      name: "fetchMock: a mocked node:https request",
      value: m("mockedHttps"),
      unit: "us",
    },
  ];
}
