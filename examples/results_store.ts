/**
 * The code under test in the results-store examples: benchmark results saved
 * as JSON records on local disk (and, in `results_store_s3.ts`, in S3).
 *
 * @module
 */

/** One benchmark result. */
export interface ResultRecord {
  model: string;
  [metric: string]: string | number;
}

/** Saves and loads result records as JSON files under a directory. */
export class LocalResultsStore {
  readonly #dir: string;

  /** @param dir The directory records are stored in. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Saves a record under `name`; returns the file's path. */
  async save(name: string, record: ResultRecord): Promise<string> {
    const path = `${this.#dir}/${name}.json`;
    await Deno.writeTextFile(path, JSON.stringify(record));
    return path;
  }

  /** Loads the record saved under `name`. */
  async load(name: string): Promise<ResultRecord> {
    return JSON.parse(await Deno.readTextFile(`${this.#dir}/${name}.json`));
  }
}
