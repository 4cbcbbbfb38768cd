// Internal: the naming scheme of everything fixtures create, and the patterns
// the sweep matches. One file, so that the two cannot drift apart.
//
// Every resource is named `<prefix><sep><run id><sep><n>`, and the run id
// starts with its creation time, so a sweeper can tell its age from the name.

/**
 * An id for this process, used in the names of everything fixtures create:
 * the creation time in base 36 (so a sweeper can tell its age) and four random
 * hex digits, lowercase and DNS-safe (`mi3k2j1a4f2c`).
 */
export const RUN_ID: string = Date.now().toString(36) +
  crypto.randomUUID().slice(0, 4);

/** The creation time encoded in a run id, or `undefined` if it is not one. */
export function runIdTime(runId: string): Date | undefined {
  const match = /^([0-9a-z]{8,9})[0-9a-f]{4}$/.exec(runId);
  if (!match) return undefined;
  const time = parseInt(match[1]!, 36);
  return Number.isFinite(time) ? new Date(time) : undefined;
}

let sequence = 0;

/** `<run id><sep><n>`, unique in this process. */
export function uniqueSuffix(separator: string): string {
  return `${RUN_ID}${separator}${++sequence}`;
}

/** A name unique in this run: `<prefix><sep><run id><sep><n>`. */
export function uniqueName(prefix: string, separator: string): string {
  return `${prefix}${separator}${uniqueSuffix(separator)}`;
}

/** The kinds of resource names the sweep recognizes. */
export type SweepKind = "bucket" | "prefix" | "sql" | "dir";

const PATTERNS: Record<SweepKind, RegExp> = {
  bucket: /^[a-z0-9][a-z0-9-]*?-([0-9a-z]{8,9}[0-9a-f]{4})-\d+$/,
  prefix: /^itkit-([0-9a-z]{8,9}[0-9a-f]{4})-\d+\/$/,
  sql: /^itkit(?:_tpl)?_([0-9a-z]{8,9}[0-9a-f]{4})_\d+$/,
  // Any prefix: tmpDir puts the `itkit-` marker before the run id.
  dir: /^.*itkit-([0-9a-z]{8,9}[0-9a-f]{4})-\d+$/,
};

/**
 * The run id in a toolkit resource name.
 *
 * @param name A bucket, key prefix, schema, database or directory name.
 * @param kind Which naming scheme applies.
 * @returns The run id, or `undefined` if `name` is not a toolkit name.
 */
export function runIdOf(name: string, kind: SweepKind): string | undefined {
  if (createdAt(name, kind) === undefined) return undefined;
  return PATTERNS[kind].exec(name)?.[1];
}

/**
 * The sequence number of a run's lease: no fixture's resource has it (theirs
 * count from 1), so the lease is named like the run's other resources and
 * is swept with them.
 */
const LEASE_SEQUENCE = 0;

/** The bucket that holds run `runId`'s S3 lease in a store of own buckets. */
export function leaseBucket(runId: string): string {
  return `itkit-${runId}-${LEASE_SEQUENCE}`;
}

/** The key prefix of run `runId`'s S3 lease in a shared bucket. */
export function leasePrefix(runId: string): string {
  return `itkit-${runId}-${LEASE_SEQUENCE}/`;
}

/** The key of the lease object, in its bucket or under its prefix. */
export const LEASE_OBJECT = "lease";

/** Whether `name` (a bucket or key prefix) is where a run keeps its lease. */
export function isLeaseName(name: string): boolean {
  return /^itkit-[0-9a-z]{8,9}[0-9a-f]{4}-0\/?$/.test(name);
}

/**
 * The run and process a ready file in the temp dir belongs to: the reaper's
 * (`ready-itkit-<run id>-<pid>`) or the clone helper's
 * (`ready-drops-itkit-<run id>-<pid>`), both named for the test process (one
 * per worker); the markers of the process's shared reaper and clone helper
 * have the same names, with the process's token as the run id (see
 * util/helper_process.ts).
 *
 * @param name A file name in the temp dir.
 * @returns The run id and the test process's pid, or `undefined`.
 */
export function readyFileOwner(
  name: string,
): { runId: string; pid: number } | undefined {
  const match = /^ready-(?:drops-)?itkit-([0-9a-z]{8,9}[0-9a-f]{4})-(\d+)$/
    .exec(name);
  if (!match || !runIdTime(match[1]!)) return undefined;
  return { runId: match[1]!, pid: Number(match[2]) };
}

/**
 * Whether `name` is a toolkit resource name created before `cutoff`.
 *
 * @param name A bucket, schema, database or directory name.
 * @param kind Which naming scheme applies.
 * @param cutoff The latest creation time to accept.
 * @returns Whether a sweep may remove it.
 */
export function isSweepable(
  name: string,
  kind: SweepKind,
  cutoff: Date,
): boolean {
  const created = createdAt(name, kind);
  return created !== undefined && created <= cutoff;
}

/**
 * When a toolkit resource was created, read from its name.
 *
 * @param name A bucket, schema, database or directory name.
 * @param kind Which naming scheme applies.
 * @returns The creation time, or `undefined` if `name` is not a toolkit name.
 */
export function createdAt(name: string, kind: SweepKind): Date | undefined {
  const runId = PATTERNS[kind].exec(name)?.[1];
  if (!runId) return undefined;
  const created = runIdTime(runId);
  // A run id from before this toolkit existed is a coincidence, not ours.
  if (!created || created < new Date("2025-01-01")) return undefined;
  return created;
}
