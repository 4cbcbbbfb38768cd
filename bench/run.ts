// `deno task bench`: what the toolkit costs, measured against bare Deno.test
// (and hand-written equivalents) in the same run, on this machine. Runs the
// sections of bench/sections/ in order (the programs they time are in
// bench/programs/), writes the `machine` and `rows` of bench/results.json
// (the other benches' sections stay) and prints a table. Run it through
// `cli.ts run`, which provides PostgreSQL and S3:
//
//   deno run -A cli.ts run -- deno run -A bench/run.ts [--quick]
//     [--skip overhead,tmpdir,probe,postgres,s3,rgw,import,fetch,reaper]
import { machineFacts } from "./_measure.ts";
import { printTable, type Row, updateResults } from "./_results.ts";
import { fetchMockCost } from "./sections/fetch.ts";
import { importCost } from "./sections/import.ts";
import { overhead } from "./sections/overhead.ts";
import { postgresIsolation } from "./sections/postgres.ts";
import { probe } from "./sections/probe.ts";
import { reaper } from "./sections/reaper.ts";
import { rgw } from "./sections/rgw.ts";
import { s3 } from "./sections/s3.ts";
import type { Section } from "./sections/_section.ts";
import { tmpdir } from "./sections/tmpdir.ts";

/** The sections, by the name `--skip` takes, in the order they run. */
const SECTIONS: [string, Section][] = [
  ["overhead", overhead],
  ["tmpdir", tmpdir],
  ["probe", probe],
  ["postgres", postgresIsolation],
  ["s3", s3],
  ["rgw", rgw],
  ["import", importCost],
  ["fetch", fetchMockCost],
  ["reaper", reaper],
];

const quick = Deno.args.includes("--quick");
/** Sections left out: `--skip reaper,postgres`. */
const skip = new Set(
  Deno.args.includes("--skip")
    ? (Deno.args[Deno.args.indexOf("--skip") + 1] ?? "").split(",").filter(
      Boolean,
    )
    : [],
);
const names = SECTIONS.map(([name]) => name);
for (const name of skip) {
  if (!names.includes(name)) {
    throw new TypeError(
      `Cannot run the bench: --skip "${name}" is not a section (expected some of ${
        names.join(",")
      })`,
    );
  }
}

const options = { quick, rounds: quick ? 2 : 7 };
const rows: Row[] = [];
for (const [name, section] of SECTIONS) {
  if (!skip.has(name)) rows.push(...await section(options));
}

const machine = { ...machineFacts(), quick };
await updateResults((previous) => ({ ...previous, machine, rows }));
printTable(rows, machine, {
  baseline: "bare",
  places: [3, 1],
  ratioPlaces: 3,
  targets: true,
});
