// Internal: what the benches record (rows), the table they print, and
// bench/results.json, where each bench keeps its own sections.

/** One measurement, as bench/results.json keeps it. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  /** The same work done without the toolkit (or the reference it is held to). */
  baseline?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

/**
 * bench/results.json: `machine` and `rows` are `deno task bench`'s,
 * `suite` is bench/suite.ts's and `databaseIsolation`
 * bench/database_isolation.ts's (both by file system of the temp dir).
 */
export interface Results {
  machine?: unknown;
  rows?: Row[];
  suite?: Record<string, unknown>;
  databaseIsolation?: Record<
    string,
    { machines?: unknown[]; rows?: Row[] } | undefined
  >;
}

const RESULTS = new URL("results.json", import.meta.url);

/**
 * Rewrites bench/results.json with what `update` makes of it; the sections
 * it leaves as they are are the other benches'.
 *
 * @param update Takes the file's contents (empty when there is none) and
 *   returns the new contents.
 */
export async function updateResults(
  update: (previous: Results) => Results,
): Promise<void> {
  const previous = await Deno.readTextFile(RESULTS).then(
    (text): Results => JSON.parse(text),
    (): Results => ({}),
  );
  await Deno.writeTextFile(
    RESULTS,
    JSON.stringify(update(previous), null, 2) + "\n",
  );
}

/** How a bench prints its table. */
export interface TableOptions {
  /** The header of the baseline column. */
  baseline: string;
  /** Decimals of a value under 10, and of a larger one. */
  places: readonly [number, number];
  /** Decimals of a ratio. */
  ratioPlaces: number;
  /** Whether the `target` and `met` columns are printed. */
  targets: boolean;
}

/**
 * Prints `rows` as a Markdown table, then the machine they were measured on.
 *
 * @param rows The measurements.
 * @param machine What the run records of the machine.
 * @param options The columns and their decimals.
 */
export function printTable(
  rows: Row[],
  machine: unknown,
  options: TableOptions,
): void {
  const [small, large] = options.places;
  const num = (x: number | undefined) =>
    x === undefined ? "" : x.toFixed(x < 10 ? small : large);
  const headers = ["measurement", "value", "unit", options.baseline, "ratio"];
  const aligns = ["---", "---:", "---", "---:", "---:"];
  if (options.targets) {
    headers.push("target", "met");
    aligns.push("---", "---");
  }
  console.log(`| ${headers.join(" | ")} |`);
  console.log(`| ${aligns.join(" | ")} |`);
  for (const r of rows) {
    const cells = [
      `${r.name}${r.note ? ` (${r.note})` : ""}`,
      num(r.value),
      r.unit,
      num(r.baseline),
      r.ratio === undefined ? "" : r.ratio.toFixed(options.ratioPlaces) + "x",
    ];
    if (options.targets) {
      cells.push(
        r.target ?? "",
        r.met === undefined ? "" : r.met ? "yes" : "no",
      );
    }
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log(`\nmachine: ${JSON.stringify(machine)}`);
}
