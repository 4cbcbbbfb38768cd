/**
 * The run summary: which services the run used and where they came from,
 * which tests were ignored and why, and what fixtures cost. Printed once when
 * the process ends, when `ITKIT_SUMMARY=1`.
 *
 * @module
 */

import { readEnv } from "./_util.ts";

/** Where a service used by the run came from. */
export type ServiceOrigin = "configured" | "native" | "pglite" | "s3rver";

/** One service the run used. */
export interface ServiceRecord {
  /** `postgres` or `s3`. */
  kind: string;
  /** Where it came from. */
  origin: ServiceOrigin;
  /** Its address (password masked). */
  address: string;
}

const services: ServiceRecord[] = [];
const ignored: { test: string; reason: string }[] = [];
const timings = new Map<string, { setups: number[]; cleanups: number[] }>();
let installed = false;

/**
 * Records a service used by this run.
 *
 * @param record The service.
 *
 * @example
 * ```ts
 * import { recordService } from "./summary.ts";
 *
 * recordService({ kind: "s3", origin: "configured", address: "http://127.0.0.1:9000" });
 * ```
 */
export function recordService(record: ServiceRecord): void {
  services.push(record);
  install();
}

/**
 * Records a test ignored because a service was down.
 *
 * @param test The test's name.
 * @param reason Why.
 *
 * @example
 * ```ts
 * import { recordIgnored } from "./summary.ts";
 *
 * recordIgnored("[integration] uploads", "s3 http://127.0.0.1:9000: connection refused");
 * ```
 */
export function recordIgnored(test: string, reason: string): void {
  ignored.push({ test, reason });
  install();
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
 * import { recordTiming } from "./summary.ts";
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
  install();
}

/**
 * Formats the summary as text.
 *
 * @returns The summary, one section per topic.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./summary.ts";
 *
 * console.log(formatSummary());
 * ```
 */
export function formatSummary(): string {
  const lines = ["itkit run summary"];
  lines.push("  services:");
  if (services.length === 0) lines.push("    (none)");
  const labels: Record<ServiceOrigin, string> = {
    configured: "configured",
    native: "native PostgreSQL binaries",
    pglite: "embedded PGlite (in-process, not a PostgreSQL server)",
    s3rver: "s3rver (S3-compatible, not MinIO)",
  };
  for (const s of services) {
    lines.push(`    ${s.kind}: ${labels[s.origin]} at ${s.address}`);
  }
  lines.push(`  ignored tests: ${ignored.length}`);
  for (const i of ignored) lines.push(`    ${i.test}: ${i.reason}`);
  lines.push("  fixture timings (count, mean setup ms, mean cleanup ms):");
  if (timings.size === 0) lines.push("    (none)");
  const mean = (xs: number[]) =>
    xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) : "-";
  for (const [kind, t] of timings) {
    lines.push(
      `    ${kind}: ${t.setups.length}, ${mean(t.setups)}, ${mean(t.cleanups)}`,
    );
  }
  return lines.join("\n");
}

function install(): void {
  if (installed) return;
  installed = true;
  const flag = readEnv("ITKIT_SUMMARY")?.trim().toLowerCase();
  if (flag !== "1" && flag !== "true" && flag !== "yes") return;
  globalThis.addEventListener?.("unload", () => {
    console.error(formatSummary());
  });
}
