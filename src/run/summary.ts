/**
 * The run summary: which services the run used and where they came from,
 * which tests were ignored and why, and what fixtures cost.
 *
 * Under `cli.ts run` (and `deno task demo`) with `ITKIT_SUMMARY=1`, every test
 * module appends its records to the file named by `ITKIT_SUMMARY_FILE` when it
 * ends, and the runner prints one summary for the whole run. Run directly
 * with `ITKIT_SUMMARY=1`, each test module prints its own when it ends.
 *
 * @module
 */

import { summarySettings } from "./settings.ts";
import { reaperLogPath, reaperRunning } from "./reaper.ts";
import { describe, maskUrl } from "../util/text.ts";
import type { ServiceOrigin } from "./server_handle.ts";

/** One service the run used. */
export interface ServiceRecord {
  /** `postgres`, `s3`, or a service's name (`redis`). */
  kind: string;
  /** Where it came from. */
  origin: ServiceOrigin;
  /** Its address (a password in it is masked when printed). */
  address: string;
}

const services: ServiceRecord[] = [];
const ignored: { test: string; reason: string }[] = [];
const timings = new Map<string, { setups: number[]; cleanups: number[] }>();

/**
 * Records a service used by this run.
 *
 * @param record The service.
 *
 * @example
 * ```ts
 *
 * recordService({ kind: "s3", origin: "configured", address: "http://127.0.0.1:9000" });
 * ```
 */
export function recordService(record: ServiceRecord): void {
  services.push(record);
}

/**
 * Records a test ignored because a service was down.
 *
 * @param test The test's name.
 * @param reason Why.
 *
 * @example
 * ```ts
 *
 * recordIgnored("[integration] uploads", "s3 http://127.0.0.1:9000: connection refused");
 * ```
 */
export function recordIgnored(test: string, reason: string): void {
  ignored.push({ test, reason });
}

/**
 * Records how long a fixture kind took to set up or clean up.
 *
 * @param kind The fixture kind.
 * @param phase `setup` or `cleanup`.
 * @param ms Milliseconds.
 *
 * @example
 * ```ts
 *
 * recordTiming("tmpDir", "setup", 0.4);
 * ```
 */
export function recordTiming(
  kind: string,
  phase: "setup" | "cleanup",
  ms: number,
): void {
  let entry = timings.get(kind);
  if (!entry) timings.set(kind, entry = { setups: [], cleanups: [] });
  (phase === "setup" ? entry.setups : entry.cleanups).push(ms);
}

/** What one test module recorded; what `ITKIT_SUMMARY_FILE` holds, one per line. */
export interface SummaryRecords {
  /** Services used. */
  services: ServiceRecord[];
  /** Tests ignored because a service was down, and why. */
  ignored: { test: string; reason: string }[];
  /** Fixture setup and cleanup times in milliseconds, by fixture kind. */
  timings: Record<string, { setups: number[]; cleanups: number[] }>;
  /** The log files of the reapers that removed resources for the run. */
  reaperLogs?: string[];
}

/**
 * This module's records so far.
 *
 * @returns A copy of the records.
 *
 * @example
 * ```ts
 *
 * console.log(summaryRecords().ignored.length);
 * ```
 */
export function summaryRecords(): SummaryRecords {
  return {
    services: [...services],
    ignored: [...ignored],
    timings: Object.fromEntries(
      [...timings].map(([kind, t]) => [kind, {
        setups: [...t.setups],
        cleanups: [...t.cleanups],
      }]),
    ),
    ...(reaperRunning() ? { reaperLogs: [reaperLogPath()] } : {}),
  };
}

/**
 * Merges the records of several test modules.
 *
 * @param parts The records.
 * @returns One set of records.
 *
 * @example
 * ```ts
 *
 * const merged = mergeSummaries([
 *   { services: [], ignored: [], timings: { tmpDir: { setups: [1], cleanups: [2] } } },
 *   { services: [], ignored: [], timings: { tmpDir: { setups: [3], cleanups: [4] } } },
 * ]);
 * console.log(merged.timings.tmpDir?.setups); // [1, 3]
 * ```
 */
export function mergeSummaries(parts: SummaryRecords[]): SummaryRecords {
  const merged: SummaryRecords = { services: [], ignored: [], timings: {} };
  for (const part of parts) {
    merged.services.push(...part.services);
    merged.ignored.push(...part.ignored);
    for (const [kind, t] of Object.entries(part.timings)) {
      const into = merged.timings[kind] ??= { setups: [], cleanups: [] };
      into.setups.push(...t.setups);
      into.cleanups.push(...t.cleanups);
    }
    for (const log of part.reaperLogs ?? []) {
      merged.reaperLogs ??= [];
      if (!merged.reaperLogs.includes(log)) merged.reaperLogs.push(log);
    }
  }
  return merged;
}

/**
 * Formats a summary as text.
 *
 * @param records What to format; this module's records by default.
 * @returns The summary, one section per topic.
 *
 * @example
 * ```ts
 *
 * console.log(formatSummary());
 * ```
 */
export function formatSummary(
  records: SummaryRecords = summaryRecords(),
): string {
  const lines = ["itkit run summary"];
  lines.push("  services:");
  if (records.services.length === 0) lines.push("    (none)");
  const labels: Record<ServiceOrigin, string> = {
    configured: "configured by the environment",
    native: "throwaway PostgreSQL server (native binaries)",
    pglite: "embedded PGlite (in-process, not a PostgreSQL server)",
    s3rver: "s3rver (S3-compatible, not MinIO)",
    rgw: "throwaway Ceph RADOS Gateway (real S3: signatures, versioning)",
    launched: "throwaway server (started from the service's definition)",
  };
  for (const s of records.services) {
    lines.push(`    ${s.kind}: ${labels[s.origin]} at ${maskUrl(s.address)}`);
  }
  lines.push(`  ignored tests: ${records.ignored.length}`);
  for (const i of records.ignored) lines.push(`    ${i.test}: ${i.reason}`);
  lines.push("  fixtures (count, mean setup ms, mean cleanup ms):");
  const kinds = Object.entries(records.timings);
  if (kinds.length === 0) lines.push("    (none)");
  const mean = (xs: number[]) =>
    xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) : "-";
  for (const [kind, t] of kinds) {
    lines.push(
      `    ${kind}: ${t.setups.length}, ${mean(t.setups)}, ${mean(t.cleanups)}`,
    );
  }
  for (const log of records.reaperLogs ?? []) {
    lines.push(`  reaper log (what was removed off the tests' path): ${log}`);
  }
  return lines.join("\n");
}

// Decided at module load: inside a test the environment may not be readable.
// A bad setting fails the module here, before any fixture made anything.
install();

function install(): void {
  // The command line makes its own summary from its children's files (and
  // reports a bad setting as one line of its own).
  if (Deno.mainModule === new URL("../../cli.ts", import.meta.url).href) return;
  const { file, print } = summarySettings();
  if (!file && !print) return;
  globalThis.addEventListener?.("unload", () => {
    // A module (or the runner itself) that used nothing has nothing to say.
    if (services.length + ignored.length + timings.size === 0) return;
    if (file) {
      try {
        Deno.writeTextFileSync(
          file,
          JSON.stringify(summaryRecords()) + "\n",
          { append: true },
        );
      } catch (error) {
        throw new Error(
          `Cannot write the run summary: ITKIT_SUMMARY_FILE ${
            JSON.stringify(file)
          }: ${describe(error)}`,
          { cause: error },
        );
      }
    } else {
      console.error(formatSummary());
    }
  });
}
