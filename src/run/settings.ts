// Internal: the one place that reads the run-wide `ITKIT_*` variables. Each is
// read once per process, on first use, without prompting (a variable the
// process may not read counts as unset).

import { readEnv } from "../util/env.ts";

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["", "0", "false", "no", "off"];

/**
 * Parses a boolean `ITKIT_*` flag: unset, empty, `0`, `false`, `no`, `off` are
 * off; `1`, `true`, `yes`, `on` are on (any case). Anything else is an error,
 * never a silent "off".
 *
 * @throws {TypeError} Naming the variable, its value and what is expected.
 */
export function parseFlag(name: string, value: string | undefined): boolean {
  const normalized = (value ?? "").trim().toLowerCase();
  if (TRUE.includes(normalized)) return true;
  if (FALSE.includes(normalized)) return false;
  throw new TypeError(
    `Cannot read ${name}: ${
      JSON.stringify(value)
    } is not a flag (expected 1, true, yes or on to turn it on; 0, false, no, off or unset for off)`,
  );
}

let requireMode: boolean | undefined;

/** Whether require mode is on (`ITKIT_REQUIRE`): a down service fails its tests. */
export function isRequireMode(): boolean {
  return requireMode ??= parseFlag("ITKIT_REQUIRE", readEnv("ITKIT_REQUIRE"));
}

/** The raw `ITKIT_SHARD` value (`i/n`), or `undefined` when unsharded. */
export function shardSpec(): string | undefined {
  const spec = readEnv("ITKIT_SHARD");
  return spec === undefined || spec.trim() === "" ? undefined : spec;
}

/** Where the run summary goes: `ITKIT_SUMMARY_FILE`, and `ITKIT_SUMMARY`. */
export interface SummarySettings {
  /** Append records to this file (set by `cli.ts run`). */
  file: string | undefined;
  /** Print the summary when the module ends. */
  print: boolean;
}

/** The run summary settings (`ITKIT_SUMMARY_FILE`, `ITKIT_SUMMARY`). */
export function summarySettings(): SummarySettings {
  return {
    file: readEnv("ITKIT_SUMMARY_FILE") || undefined,
    print: parseFlag("ITKIT_SUMMARY", readEnv("ITKIT_SUMMARY")),
  };
}

let probeTimeout: number | null | undefined;

/**
 * The default probe budget from `ITKIT_PROBE_TIMEOUT` (milliseconds), for
 * machines where 1000 ms is too short (a loaded CI runner), or `undefined`.
 *
 * @throws {TypeError} When it is set but not a positive whole number.
 */
export function defaultProbeTimeout(): number | undefined {
  if (probeTimeout === undefined) {
    const raw = readEnv("ITKIT_PROBE_TIMEOUT")?.trim();
    if (raw === undefined || raw === "") {
      probeTimeout = null;
    } else if (!/^[1-9]\d*$/.test(raw)) {
      throw new TypeError(
        `Cannot read ITKIT_PROBE_TIMEOUT: ${
          JSON.stringify(raw)
        } is not a budget (expected a positive whole number of milliseconds, e.g. 5000)`,
      );
    } else {
      probeTimeout = Number(raw);
    }
  }
  return probeTimeout ?? undefined;
}

/** Which S3 server a run starts when none is configured (`ITKIT_S3`). */
export type S3Engine = "s3rver" | "ceph";

/**
 * Parses `ITKIT_S3`: unset or empty is `s3rver` (the light default), `ceph`
 * (or `rgw`) a throwaway Ceph RADOS Gateway. Anything else is an error.
 *
 * @throws {TypeError} Naming the variable, its value and what is expected.
 */
export function parseS3Engine(value: string | undefined): S3Engine {
  const normalized = (value ?? "").trim().toLowerCase();
  if (normalized === "" || normalized === "s3rver") return "s3rver";
  if (normalized === "ceph" || normalized === "rgw") return "ceph";
  throw new TypeError(
    `Cannot read ITKIT_S3: ${
      JSON.stringify(value)
    } is not an S3 server (expected s3rver, the default, or ceph for a throwaway Ceph RADOS Gateway)`,
  );
}

/** The S3 server a run starts when none is configured (`ITKIT_S3`). */
export function s3Engine(): S3Engine {
  return parseS3Engine(readEnv("ITKIT_S3"));
}

/** The reaper's log file (`ITKIT_REAPER_LOG`, set by `cli.ts run`), if set. */
export function reaperLogSetting(): string | undefined {
  return readEnv("ITKIT_REAPER_LOG") || undefined;
}

/**
 * `ITKIT_CACHE_DIR` as set: where PGlite's fresh data directory is kept
 * (`""`: nowhere), or `undefined` when unset (the OS cache directory).
 */
export function cacheDirSetting(): string | undefined {
  return readEnv("ITKIT_CACHE_DIR");
}

let reaper: boolean | undefined;

/** Whether fixtures may use a reaper process (`ITKIT_REAPER`, on unless `0`/`off`). */
export function isReaperEnabled(): boolean {
  const value = readEnv("ITKIT_REAPER");
  return reaper ??= value === undefined || value.trim() === "" ||
    parseFlag("ITKIT_REAPER", value);
}

/** How long an S3 lease lives after its last heartbeat, by default. */
export const DEFAULT_LEASE_TTL = 30_000;

let leaseTtlMs: number | undefined;

/**
 * How long a run's S3 lease counts as alive after its last heartbeat
 * (`ITKIT_LEASE_TTL`, milliseconds, at least 1000; default 30000). The
 * holder refreshes it every sixth of that.
 *
 * @throws {TypeError} When it is set but not a whole number of at least 1000.
 */
export function leaseTtl(): number {
  if (leaseTtlMs === undefined) {
    const raw = readEnv("ITKIT_LEASE_TTL")?.trim();
    if (raw === undefined || raw === "") {
      leaseTtlMs = DEFAULT_LEASE_TTL;
    } else if (!/^\d+$/.test(raw) || Number(raw) < 1000) {
      throw new TypeError(
        `Cannot read ITKIT_LEASE_TTL: ${
          JSON.stringify(raw)
        } is not a lease time (expected a whole number of milliseconds, at least 1000, e.g. 30000)`,
      );
    } else {
      leaseTtlMs = Number(raw);
    }
  }
  return leaseTtlMs;
}
