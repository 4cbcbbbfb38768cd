/**
 * Crash recovery: removes what fixtures of crashed runs left behind (buckets,
 * key prefixes in shared buckets, schemas, databases, temp dirs), and nothing
 * else. Every such resource is named `<prefix><sep><run id><sep><n>`, and the
 * run id starts with its creation time, so age is read from the name.
 *
 * @module
 */

import { type S3Config, s3Config } from "../s3/config.ts";
import { sweepS3 } from "../s3/sweep.ts";
import { type PostgresConfig, postgresConfig } from "../postgres/config.ts";
import { sweepPostgres } from "../postgres/sweep.ts";
import { isSweepable } from "../run/naming.ts";
import { describe } from "../util/text.ts";
import { systemTempDir } from "../util/env.ts";

/** Options of {@linkcode sweep}. */
export interface SweepOptions {
  /**
   * Remove only what was created at least this many milliseconds ago, so
   * that running tests keep their resources.
   *
   * @default {3_600_000} (one hour)
   */
  olderThan?: number;
  /**
   * The S3 store to sweep, or `false` to skip it.
   *
   * @default {s3Config()}
   */
  s3?: S3Config | false;
  /**
   * Shared buckets whose fixture key prefixes (`itkit-<run id>-<n>/`) to sweep.
   *
   * @default {[]}
   */
  sharedBuckets?: string[];
  /**
   * The PostgreSQL server to sweep (every database on it), or `false`.
   *
   * @default {postgresConfig()}
   */
  postgres?: PostgresConfig | false;
  /**
   * The directory whose `itkit-<run id>-<n>` temp dirs to sweep, or `false`.
   *
   * @default {the system temp dir}
   */
  tmpDir?: string | false;
  /**
   * List what would be removed without removing it.
   *
   * @default {false}
   */
  dryRun?: boolean;
}

/** What {@linkcode sweep} did. */
export interface SweepReport {
  /** One line per removed resource (`bucket itkit-…`, `schema app.itkit_…`). */
  removed: string[];
  /** One line per resource that could not be removed, with the reason. */
  failed: string[];
}

/**
 * Removes resources that fixtures created and never cleaned up (the process
 * was killed), older than `olderThan`, from the configured S3 store,
 * PostgreSQL server and temp dir. Names that do not follow the toolkit's
 * scheme, or carry no valid creation time, are never touched.
 *
 * @param options Where to sweep and the minimum age.
 * @returns What was removed, and what could not be.
 *
 * @example
 * ```ts ignore
 * import { sweep } from "../../services.ts";
 *
 * const report = await sweep({ olderThan: 60 * 60 * 1000 });
 * console.log(report.removed);
 * ```
 */
export async function sweep(options: SweepOptions = {}): Promise<SweepReport> {
  const olderThan = options.olderThan ?? 3_600_000;
  if (!Number.isFinite(olderThan) || olderThan < 0) {
    throw new RangeError(
      `Cannot sweep: olderThan must be a non-negative number of milliseconds, got ${olderThan}`,
    );
  }
  const cutoff = new Date(Date.now() - olderThan);
  const report: SweepReport = { removed: [], failed: [] };
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      if (!options.dryRun) await action();
      report.removed.push(what);
    } catch (error) {
      report.failed.push(`${what}: ${describe(error)}`);
    }
  };
  const s3 = options.s3 === undefined ? s3Config() : options.s3;
  if (s3) await sweepS3(s3, options.sharedBuckets ?? [], cutoff, attempt);
  const pg = options.postgres === undefined
    ? postgresConfig()
    : options.postgres;
  if (pg) await sweepPostgres(pg, cutoff, attempt);
  const tmp = options.tmpDir === undefined ? systemTempDir() : options.tmpDir;
  if (tmp) {
    for await (const entry of Deno.readDir(tmp)) {
      // Directories, and the reapers' ready files (`ready-itkit-…`).
      const kind = entry.isDirectory
        ? "dir"
        : entry.isFile && entry.name.startsWith("ready-")
        ? "file"
        : undefined;
      if (kind && isSweepable(entry.name, "dir", cutoff)) {
        await attempt(
          `${kind} ${tmp}/${entry.name}`,
          () => Deno.remove(`${tmp}/${entry.name}`, { recursive: true }),
        );
      }
    }
  }
  return report;
}
