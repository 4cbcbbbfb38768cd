// Internal: the one place that reads the run-wide `ITKIT_*` variables. Each is
// read once per process, on first use, without prompting (a variable the
// process may not read counts as unset).

import { readEnv } from "../util/env.ts";

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off"];

/**
 * Parses a boolean `ITKIT_*` flag: `1`, `true`, `yes`, `on` are on; `0`,
 * `false`, `no`, `off` are off (any case); unset or empty is `unset`. Anything
 * else is an error, never a silent default.
 *
 * @param name The variable, for the message.
 * @param value Its value.
 * @param unset What unset or empty means.
 * @throws {TypeError} Naming the variable, its value and what is expected.
 */
export function parseFlag(
  name: string,
  value: string | undefined,
  unset = false,
): boolean {
  const normalized = (value ?? "").trim().toLowerCase();
  if (normalized === "") return unset;
  if (TRUE.includes(normalized)) return true;
  if (FALSE.includes(normalized)) return false;
  throw new TypeError(
    `Cannot read ${name}: ${JSON.stringify(value)} is not a flag (expected ${
      unset
        ? "1, true, yes, on or unset to turn it on; 0, false, no or off to turn it off"
        : "1, true, yes or on to turn it on; 0, false, no, off or unset for off"
    })`,
  );
}

/**
 * A file setting (`ITKIT_SUMMARY_FILE`, `ITKIT_REAPER_LOG`): the toolkit
 * appends to it, so its directory must exist. Checked where the process may
 * read it without a prompt; elsewhere left to the first write.
 *
 * @param name The variable, for the message.
 * @param path Its value.
 * @returns `path`.
 * @throws {TypeError} Naming the variable and its value, when its directory
 *   does not exist or it is a directory.
 */
export function checkFileSetting(name: string, path: string): string {
  const dir = /[\\/]/.test(path)
    ? path.replace(/[\\/][^\\/]*$/, "") || "/"
    : ".";
  const fail = (why: string): never => {
    throw new TypeError(
      `Cannot read ${name}: ${
        JSON.stringify(path)
      } ${why} (expected a file path in an existing directory; the toolkit appends to it)`,
    );
  };
  if (!mayRead(dir)) return path;
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      fail(`is in ${JSON.stringify(dir)}, which does not exist`);
    }
    return path; // not ours to judge (no permission, a loop): the write says
  }
  if (!info.isDirectory) {
    fail(`is in ${JSON.stringify(dir)}, which is not a directory`);
  }
  if (!mayRead(path)) return path;
  try {
    if (Deno.statSync(path).isDirectory) fail("is a directory");
  } catch (error) {
    if (error instanceof TypeError) throw error;
  }
  return path;
}

function mayRead(path: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "read", path }).state ===
      "granted";
  } catch {
    return false;
  }
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

/**
 * The run summary settings (`ITKIT_SUMMARY_FILE`, `ITKIT_SUMMARY`).
 *
 * @throws {TypeError} When `ITKIT_SUMMARY` is not a flag, or
 *   `ITKIT_SUMMARY_FILE` is in a directory that does not exist.
 */
export function summarySettings(): SummarySettings {
  const file = readEnv("ITKIT_SUMMARY_FILE") || undefined;
  return {
    file: file === undefined
      ? undefined
      : checkFileSetting("ITKIT_SUMMARY_FILE", file),
    print: parseFlag("ITKIT_SUMMARY", readEnv("ITKIT_SUMMARY")),
  };
}

let probeTimeout: number | null | undefined;

/** The longest delay a timer holds (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS: number = 2 ** 31 - 1;

/**
 * The default probe budget from `ITKIT_PROBE_TIMEOUT` (milliseconds), where
 * 10000 ms does not fit (a slower remote service, or a shorter wait for one
 * that hangs), or `undefined`.
 *
 * @throws {TypeError} When it is set but not a positive whole number a timer
 *   can hold (up to 2^31 - 1).
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
    } else if (Number(raw) > MAX_TIMER_MS) {
      // Beyond it, setTimeout fires at once.
      throw new TypeError(
        `Cannot read ITKIT_PROBE_TIMEOUT: ${
          JSON.stringify(raw)
        } is more than a timer can hold (expected a positive whole number of milliseconds up to ${MAX_TIMER_MS}, about 24.8 days)`,
      );
    } else {
      probeTimeout = Number(raw);
    }
  }
  return probeTimeout ?? undefined;
}

/** An integration test's budget when neither it nor `ITKIT_TIMEOUT` sets one. */
export const DEFAULT_TEST_TIMEOUT_MS = 30_000;

/** The run's budget for an integration test, and where it comes from. */
export interface TestTimeout {
  /** Milliseconds; `Infinity` for none (`ITKIT_TIMEOUT=off`). */
  ms: number;
  /** `ITKIT_TIMEOUT`, or the built-in default. */
  source: "ITKIT_TIMEOUT" | "default";
}

let testTimeout: TestTimeout | undefined;

/**
 * The budget of an integration test that sets no `timeout` of its own, from
 * `ITKIT_TIMEOUT` (milliseconds; `0` or `off` for none), else 30000 ms.
 *
 * @throws {TypeError} When it is set but neither `0`/`off` nor a positive
 *   whole number a timer can hold (up to 2^31 - 1).
 */
export function defaultTestTimeout(): TestTimeout {
  if (testTimeout === undefined) {
    const raw = readEnv("ITKIT_TIMEOUT")?.trim();
    if (raw === undefined || raw === "") {
      testTimeout = { ms: DEFAULT_TEST_TIMEOUT_MS, source: "default" };
    } else if (raw === "0" || raw.toLowerCase() === "off") {
      testTimeout = { ms: Infinity, source: "ITKIT_TIMEOUT" };
    } else if (!/^[1-9]\d*$/.test(raw) || Number(raw) > MAX_TIMER_MS) {
      throw new TypeError(
        `Cannot read ITKIT_TIMEOUT: ${
          JSON.stringify(raw)
        } is not a budget (expected a positive whole number of milliseconds up to ${MAX_TIMER_MS}, e.g. 60000, or 0 or off for none)`,
      );
    } else {
      testTimeout = { ms: Number(raw), source: "ITKIT_TIMEOUT" };
    }
  }
  return testTimeout;
}

/** What `cli.ts permissions --audit` sets for the run it audits. */
export interface AuditSettings {
  /** `ITKIT_AUDIT_PERMISSIONS`: the file the tests' registrations go to. */
  file: string;
  /** `ITKIT_AUDIT_TOKEN`: the audit run's token, also the file's first line. */
  token: string | undefined;
  /** `DENO_AUDIT_PERMISSIONS`: Deno's audit log. */
  denoLog: string | undefined;
}

/**
 * The permission-audit settings (`ITKIT_AUDIT_PERMISSIONS`, with
 * `ITKIT_AUDIT_TOKEN` and Deno's `DENO_AUDIT_PERMISSIONS`, all set by
 * `cli.ts permissions --audit`), or `undefined` when
 * `ITKIT_AUDIT_PERMISSIONS` is unset. Whether they are the audit's own is
 * checked by the caller (`core/_audit.ts`): audit mode runs every
 * integration test with the process's permissions, which no variable alone
 * may turn on.
 *
 * @throws {TypeError} When the file's directory does not exist.
 */
export function auditSettings(): AuditSettings | undefined {
  const file = readEnv("ITKIT_AUDIT_PERMISSIONS") || undefined;
  if (file === undefined) return undefined;
  return {
    file: checkFileSetting("ITKIT_AUDIT_PERMISSIONS", file),
    token: readEnv("ITKIT_AUDIT_TOKEN") || undefined,
    denoLog: readEnv("DENO_AUDIT_PERMISSIONS") || undefined,
  };
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

/** Whether fixtures use a reaper process, and where it logs. */
export interface ReaperSettings {
  /** `ITKIT_REAPER`: on unless `0`, `false`, `no` or `off`. */
  enabled: boolean;
  /**
   * `ITKIT_REAPER_LOG` (set by `cli.ts run`), if set: the reaper's log, and
   * the database clone helper's (which runs with the reaper off too).
   */
  log: string | undefined;
}

let reaper: ReaperSettings | undefined;

/**
 * The reaper settings (`ITKIT_REAPER` and `ITKIT_REAPER_LOG`), read once.
 * Call it where a fixture first needs the reaper, before starting it:
 * `startReaper()` takes any failure for "no reaper".
 *
 * @returns The settings.
 * @throws {TypeError} When `ITKIT_REAPER` is not a flag, or
 *   `ITKIT_REAPER_LOG` is in a directory that does not exist.
 */
export function reaperSettings(): ReaperSettings {
  if (reaper === undefined) {
    const enabled = parseFlag("ITKIT_REAPER", readEnv("ITKIT_REAPER"), true);
    // Also with the reaper off: the clone helper says there that it started,
    // exited or failed to drop something (waitForReapers reads it).
    const log = readEnv("ITKIT_REAPER_LOG") || undefined;
    reaper = {
      enabled,
      log: log === undefined ? undefined : checkFileSetting(
        "ITKIT_REAPER_LOG",
        log,
      ),
    };
  }
  return reaper;
}

/** The reaper's log file (`ITKIT_REAPER_LOG`, set by `cli.ts run`), if set. */
export function reaperLogSetting(): string | undefined {
  return reaperSettings().log;
}

/**
 * `ITKIT_CACHE_DIR` as set: where PGlite's fresh data directory is kept
 * (`""`: nowhere), or `undefined` when unset (the OS cache directory).
 */
export function cacheDirSetting(): string | undefined {
  return readEnv("ITKIT_CACHE_DIR");
}

/** Whether fixtures may use a reaper process (`ITKIT_REAPER`, on unless `0`/`off`). */
export function isReaperEnabled(): boolean {
  return reaperSettings().enabled;
}

let allowProduction: boolean | undefined;

/**
 * Whether a database fixture may use a server or database named as
 * production (`ITKIT_ALLOW_PRODUCTION_DATABASE`, off unless set).
 */
export function isProductionDatabaseAllowed(): boolean {
  return allowProduction ??= parseFlag(
    "ITKIT_ALLOW_PRODUCTION_DATABASE",
    readEnv("ITKIT_ALLOW_PRODUCTION_DATABASE"),
  );
}

/** How long an S3 lease lives after its last heartbeat, by default. */
export const DEFAULT_LEASE_TTL = 30_000;

let leaseTtlMs: number | undefined;

/**
 * The longest `ITKIT_LEASE_TTL`: its holder refreshes the lease every sixth
 * of it, a timer that holds at most {@linkcode MAX_TIMER_MS} (beyond, it
 * fires at once, and the holder would rewrite the lease in a tight loop).
 */
export const MAX_LEASE_TTL: number = 6 * MAX_TIMER_MS;

/**
 * How long a run's S3 lease counts as alive after its last heartbeat
 * (`ITKIT_LEASE_TTL`, milliseconds, at least 1000 and at most
 * {@linkcode MAX_LEASE_TTL}; default 30000). The holder refreshes it every
 * sixth of that.
 *
 * @throws {TypeError} When it is set but not a whole number in that range.
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
    } else if (Number(raw) > MAX_LEASE_TTL) {
      throw new TypeError(
        `Cannot read ITKIT_LEASE_TTL: ${
          JSON.stringify(raw)
        } is too long: the lease is refreshed every sixth of it, more than a timer can hold (expected a whole number of milliseconds from 1000 to ${MAX_LEASE_TTL}, about 149 days)`,
      );
    } else {
      leaseTtlMs = Number(raw);
    }
  }
  return leaseTtlMs;
}
