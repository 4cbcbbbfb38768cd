/**
 * Crash recovery: removes what fixtures of crashed runs left behind (buckets,
 * key prefixes in shared buckets, schemas, databases, temp dirs), and nothing
 * else. Every such resource is named `<prefix><sep><run id><sep><n>`, and the
 * run id starts with its creation time, so age is read from the name.
 *
 * @module
 */

import { s3Client, type S3Config, s3Config } from "../s3_config.ts";
import { type PostgresConfig, postgresConfig } from "../postgres_config.ts";
import { loadPostgres, loadS3Sdk } from "../_lazy.ts";
import { postgresOptions } from "../_postgres_options.ts";
import { describe, runIdTime, systemTempDir } from "../_util.ts";
import { emptyBucket } from "../fixtures/s3_bucket.ts";

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

const BUCKET = /^[a-z0-9][a-z0-9-]*?-([0-9a-z]{8,9}[0-9a-f]{4})-\d+$/;
const PREFIX = /^itkit-([0-9a-z]{8,9}[0-9a-f]{4})-\d+\/$/;
const SQL_NAME = /^itkit(?:_tpl)?_([0-9a-z]{8,9}[0-9a-f]{4})_\d+$/;
const DIR = /^itkit-([0-9a-z]{8,9}[0-9a-f]{4})-\d+$/;

/**
 * Whether `name` is a toolkit resource name created before `cutoff`.
 *
 * @param name A bucket, schema, database or directory name.
 * @param kind Which naming scheme applies.
 * @param cutoff The latest creation time to accept.
 * @returns Whether a sweep may remove it.
 *
 * @example
 * ```ts
 * import { isSweepable } from "./sweep.ts";
 *
 * console.log(isSweepable("itkit-mx03snpm07eb-5", "bucket", new Date())); // true
 * console.log(isSweepable("customer-data", "bucket", new Date())); // false
 * ```
 */
export function isSweepable(
  name: string,
  kind: "bucket" | "prefix" | "sql" | "dir",
  cutoff: Date,
): boolean {
  const pattern =
    { bucket: BUCKET, prefix: PREFIX, sql: SQL_NAME, dir: DIR }[kind];
  const runId = pattern.exec(name)?.[1];
  if (!runId) return false;
  const created = runIdTime(runId);
  // A run id from before this toolkit existed is a coincidence, not ours.
  if (!created || created < new Date("2025-01-01")) return false;
  return created <= cutoff;
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
 * import { sweep } from "../../mod.ts";
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
      if (entry.isDirectory && isSweepable(entry.name, "dir", cutoff)) {
        await attempt(
          `dir ${tmp}/${entry.name}`,
          () => Deno.remove(`${tmp}/${entry.name}`, { recursive: true }),
        );
      }
    }
  }
  return report;
}

type Attempt = (what: string, action: () => Promise<unknown>) => Promise<void>;

async function sweepS3(
  config: S3Config,
  shared: string[],
  cutoff: Date,
  attempt: Attempt,
): Promise<void> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  try {
    const { Buckets = [] } = await client.send(new sdk.ListBucketsCommand({}));
    for (const { Name } of Buckets) {
      if (
        !Name || shared.includes(Name) || !isSweepable(Name, "bucket", cutoff)
      ) continue;
      await attempt(`bucket ${Name}`, async () => {
        await emptyBucket(client, Name);
        await client.send(new sdk.DeleteBucketCommand({ Bucket: Name }));
      });
    }
    for (const bucket of shared) {
      const { CommonPrefixes = [] } = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket, Delimiter: "/" }),
      );
      for (const { Prefix } of CommonPrefixes) {
        if (!Prefix || !isSweepable(Prefix, "prefix", cutoff)) continue;
        await attempt(
          `prefix ${bucket}/${Prefix}`,
          () => emptyBucket(client, bucket, Prefix),
        );
      }
    }
  } finally {
    client.destroy();
  }
}

async function sweepPostgres(
  config: PostgresConfig,
  cutoff: Date,
  attempt: Attempt,
): Promise<void> {
  const postgres = await loadPostgres();
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database where datallowconn order by datname`;
    for (const { datname } of databases) {
      if (isSweepable(datname, "sql", cutoff)) {
        await attempt(
          `database ${datname}`,
          () => admin`drop database if exists ${admin(datname)} with (force)`,
        );
        continue;
      }
      const sql = postgres(
        postgresOptions({ ...config, database: datname }, { max: 1 }),
      );
      try {
        const schemas = await sql<{ nspname: string }[]>`
          select nspname from pg_namespace where nspname like 'itkit%'`;
        for (const { nspname } of schemas) {
          if (!isSweepable(nspname, "sql", cutoff)) continue;
          await attempt(
            `schema ${datname}.${nspname}`,
            () => sql`drop schema if exists ${sql(nspname)} cascade`,
          );
        }
      } catch (error) {
        if ((error as { code?: string }).code !== "42501") throw error;
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}
