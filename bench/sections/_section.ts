// Internal: what a section of `deno task bench` is given and returns.

import type { Row } from "../_results.ts";

/** How long a run is: `--quick` or full. */
export interface SectionOptions {
  /** `--quick`: fewer rounds and smaller modules. */
  quick: boolean;
  /** Rounds of the comparisons that alternate (2 quick, 7 full). */
  rounds: number;
}

/** A section: measures, and returns its rows in the order of the table. */
export type Section = (options: SectionOptions) => Promise<Row[]>;
