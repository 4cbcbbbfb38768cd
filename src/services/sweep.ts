/**
 * Crash recovery: removes what fixtures of dead runs left behind (buckets,
 * key prefixes in shared buckets, schemas, databases, temp dirs), and nothing
 * else. Every such resource is named `<prefix><sep><run id><sep><n>`; the
 * run id starts with its creation time, and while the run is alive its lease
 * says so to any sweep, on any host (see docs/crash-recovery.md, "The sweep").
 *
 * @module
 */

import { type S3Config, s3Config } from "../s3/config.ts";
import { openS3Sweep } from "../s3/sweep.ts";
import {
  type PostgresConfig,
  postgresConfig,
  postgresUrl,
} from "../postgres/config.ts";
import { openPostgresSweep } from "../postgres/sweep.ts";
import { openTmpDirSweep } from "../fixtures/_tmp_dir_sweep.ts";
import { InUseError, type StoreSweep } from "../run/sweep_store.ts";
import { localLiveRuns } from "../run/_local_runs.ts";
import { describe, maskUrl } from "../util/text.ts";
import { readEnv, systemTempDir } from "../util/env.ts";
import { openServiceSweep } from "../service/_sweep.ts";
import {
  type AnyDefinition,
  definitionOf,
  serviceDefinition,
} from "../service/registry.ts";
import type { ServiceLike } from "./provision.ts";

/** Options of {@linkcode sweep}. */
export interface SweepOptions {
  /**
   * Remove only what was created at least this many milliseconds ago. On top
   * of that, nothing of a run that is alive is ever removed (its lease is
   * held); this age protects runs that hold none (no reaper).
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
   * Services you defined to sweep (`defineService()`, `@itkit/core/redis`):
   * each at the URL its variable holds (skipped when it is not set), or at
   * the URL given with it.
   *
   * @default {[]}
   */
  services?: (ServiceLike | { service: ServiceLike; url: string | URL })[];
  /**
   * List what would be removed without removing it.
   *
   * @default {false}
   */
  dryRun?: boolean;
}

/** What {@linkcode sweep} did with one store. */
export interface SweepStoreReport {
  /** Which store: `s3`, `postgres`, `temp dir`, or a service's name. */
  store: string;
  /** Where: the endpoint, the server (password masked), the directory; `""` when unknown. */
  target: string;
  /**
   * `swept`: listed, and what could be removed was; `skipped`: not asked
   * for (`false`); `unreachable`: could not be listed (down, refused,
   * misconfigured), nothing there was touched.
   */
  status: "swept" | "skipped" | "unreachable";
  /** Why it was skipped or unreachable. */
  reason?: string;
}

/** What {@linkcode sweep} did. */
export interface SweepReport {
  /** One line per removed resource (`bucket itkit-…`, `schema app.itkit_…`). */
  removed: string[];
  /**
   * One line per resource left alone although old enough, with why: its run
   * is alive (it holds its lease), or another session holds it (the sweep
   * waits for no lock).
   */
  inUse: string[];
  /** One line per resource that could not be removed, with the reason. */
  failed: string[];
  /** One entry per store: S3, PostgreSQL, the temp dir, each service. */
  stores: SweepStoreReport[];
}

interface Opened {
  report: SweepStoreReport;
  sweep?: StoreSweep;
}

/**
 * Removes resources that fixtures of dead runs (killed, with their reaper)
 * never cleaned up, older than `olderThan`, from the configured S3 store,
 * PostgreSQL server and temp dir. A resource of a run that is alive, on any
 * host, is never touched, and the sweep waits for no lock: what another
 * session holds is reported in use. Names that do not follow the toolkit's
 * scheme, or carry no valid creation time, are never touched. A store that
 * cannot be reached is reported, and the others are swept.
 *
 * @param options Where to sweep and the minimum age.
 * @returns What was removed, left in use or failed, and each store's status.
 * @throws {RangeError} For a negative `olderThan`.
 * @throws {TypeError} For a malformed configuration variable (before
 *   anything is touched).
 *
 * @example
 * ```ts ignore
 * import { sweep } from "../../services.ts";
 *
 * const report = await sweep({ olderThan: 60 * 60 * 1000 });
 * console.log(report.removed, report.stores);
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
  const report: SweepReport = {
    removed: [],
    inUse: [],
    failed: [],
    stores: [],
  };

  // The configuration first: a malformed variable is an error to fix, before
  // anything is touched.
  const s3 = options.s3 === undefined ? s3Config() : options.s3;
  const pg = options.postgres === undefined
    ? postgresConfig()
    : options.postgres;
  const tmp = options.tmpDir === undefined ? systemTempDir() : options.tmpDir;
  const services = (options.services ?? []).map((entry) =>
    serviceTarget(entry)
  );
  // Every store lists what it holds; then each says which runs it sees
  // alive (after every listing: see src/run/sweep_store.ts). A run alive on
  // one store is alive on all.
  const opened = await Promise.all([
    open(
      "s3",
      s3 && maskUrl(s3.endpoint.origin),
      s3 && (() => openS3Sweep(s3, options.sharedBuckets ?? [])),
    ),
    open(
      "postgres",
      pg && postgresUrl(pg),
      pg && (() => openPostgresSweep(pg)),
    ),
    open(
      "temp dir",
      tmp === false ? false : tmp,
      tmp !== false && (() => openTmpDirSweep(tmp)),
    ),
    ...services.map(({ def, url, reason }) =>
      url === undefined
        ? Promise.resolve<Opened>({
          report: { store: def.name, target: "", status: "skipped", reason },
        })
        : open(
          def.name,
          maskUrl(url.href),
          () => openServiceSweep(def, url),
        )
    ),
  ]);
  try {
    const runIds = new Set<string>();
    for (const { sweep } of opened) {
      for (const candidate of sweep?.candidates ?? []) {
        runIds.add(candidate.runId);
      }
    }
    // The runs with a process on this machine (their temp dirs are here),
    // then those each store sees.
    const live = localLiveRuns(
      tmp === false ? [systemTempDir()] : [tmp, systemTempDir()],
    );
    for (const store of opened) {
      if (!store.sweep) continue;
      try {
        for (const id of await store.sweep.live(runIds)) live.add(id);
      } catch (error) {
        // Not knowing which runs are alive there, touch nothing there.
        store.report.status = "unreachable";
        store.report.reason = `cannot tell which runs are alive: ${
          describe(error)
        }`;
      }
    }
    for (const { report: store, sweep } of opened) {
      if (!sweep || store.status !== "swept") continue;
      for (const candidate of sweep.candidates) {
        if (candidate.created > cutoff) continue;
        if (live.has(candidate.runId)) {
          report.inUse.push(
            `${candidate.what}: run ${candidate.runId} is alive`,
          );
          continue;
        }
        if (options.dryRun) {
          report.removed.push(candidate.what);
          continue;
        }
        try {
          if (await candidate.remove()) report.removed.push(candidate.what);
        } catch (error) {
          (error instanceof InUseError ? report.inUse : report.failed).push(
            `${candidate.what}: ${describe(error)}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(opened.map(({ sweep }) => sweep?.close()));
  }
  report.stores = opened.map((store) => store.report);
  return report;
}

/** Lists a store (`false`: skipped); never throws. */
async function open(
  store: string,
  target: string | false,
  list: false | (() => Promise<StoreSweep>),
): Promise<Opened> {
  if (list === false || target === false) {
    return {
      report: {
        store,
        target: "",
        status: "skipped",
        reason: "not configured",
      },
    };
  }
  const report: SweepStoreReport = { store, target, status: "swept" };
  try {
    return { report, sweep: await list() };
  } catch (error) {
    report.status = "unreachable";
    report.reason = describe(error);
    return { report };
  }
}

/** A service to sweep and where, or why it is skipped. */
function serviceTarget(
  entry: ServiceLike | { service: ServiceLike; url: string | URL },
): { def: AnyDefinition; url?: URL; reason: string } {
  const given = definitionOf(entry) === undefined;
  const def = serviceDefinition(
    given ? (entry as { service: unknown }).service : entry,
    "Cannot sweep",
  );
  const raw = given
    ? String((entry as { url: string | URL }).url)
    : readEnv(def.env);
  if (!raw) return { def, reason: `${def.env} is not set` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(
      `Cannot sweep ${def.name}: ${given ? "url" : def.env} ${
        JSON.stringify(maskUrl(raw))
      } is not a URL`,
    );
  }
  return { def, url, reason: "" };
}
