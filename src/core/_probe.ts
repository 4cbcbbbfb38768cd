// Internal: the machinery of every probe (core's, PostgreSQL's, S3's, a
// defined service's): run a check within a budget and turn what happened into
// a result with a short reason, at most once per target in this process.

import { describe, maskUrl } from "../util/text.ts";
import { raceDeadline } from "../util/deadline.ts";
import { defaultProbeTimeout, MAX_TIMER_MS } from "../run/settings.ts";
import type { ProbeOptions, ProbeResult } from "./probe_types.ts";

/**
 * The default probe budget, in milliseconds (`ITKIT_PROBE_TIMEOUT` sets
 * another). Only a service that takes a connection and never answers costs
 * it, once per process (a refused port answers at once); a budget a running
 * service can miss on a loaded machine ignores its tests, which a green run
 * hides. So it is long: this project's own suite, on a loaded 2-core
 * machine, needed it for servers running beside it.
 */
const DEFAULT_PROBE_TIMEOUT = 10_000;

const cache = new Map<string, Promise<ProbeResult>>();
let loaded = false;
/** The probes still running at module load, by key: what to call them. */
const pendingAtLoad = new Map<string, string>();

globalThis.addEventListener?.("load", () => {
  loaded = true;
  if (pendingAtLoad.size > 0) {
    throw new Error(
      `Probe ${
        [...pendingAtLoad.values()].join(", ")
      } was still running when the test module finished loading. Await probes at the top level (const db = await probeTcp(...)) and pass the result in \`requires\`: a test registered from a probe's callback would be dropped silently by Deno.`,
    );
  }
});

/**
 * Runs a probe at most once per key in this process: concurrent and later
 * callers share the first result. Every probe factory uses it.
 *
 * @param key What identifies the target (`"tcp 127.0.0.1:5432"`). It is
 *   kept, never printed: to tell apart targets that differ by a secret, put a
 *   fingerprint of the secret in it, not the secret.
 * @param run The probe itself.
 * @param label What messages call the probe (`"postgres
 *   postgres://app:***@127.0.0.1:5432/app"`); never a secret. By default the
 *   key, with any URL in it masked.
 * @returns The shared result.
 *
 * @example
 * ```ts
 *
 * let calls = 0;
 * const run = () => {
 *   calls++;
 *   return Promise.resolve({ ok: true, name: "x", target: "x", reason: "ok", durationMs: 0 });
 * };
 * await Promise.all([cachedProbe("doc x", run), cachedProbe("doc x", run)]);
 * console.log(calls); // 1
 * ```
 */
export function cachedProbe(
  key: string,
  run: () => Promise<ProbeResult>,
  label?: string,
): Promise<ProbeResult> {
  let result = cache.get(key);
  if (!result) {
    result = run();
    cache.set(key, result);
    if (!loaded) {
      pendingAtLoad.set(key, label ?? key.split(" ").map(maskUrl).join(" "));
      result.finally(() => pendingAtLoad.delete(key));
    }
  }
  return result;
}

/**
 * Runs `check` with a bounded time and turns what happens into a
 * {@linkcode ProbeResult}. `check` returns normally when the service is
 * usable, or returns a string (the reason) or throws when it is not.
 *
 * @param name The probe's name shown in reasons.
 * @param target What is probed.
 * @param check The check, given a signal aborted at the deadline.
 * @param options Timeout and signal.
 * @returns The result (never rejects).
 *
 * @example
 * ```ts
 *
 * const result = await runProbe("queue", "memory", () => "not started");
 * console.log(result.ok, result.reason); // false not started
 * ```
 */
export async function runProbe(
  name: string,
  target: string,
  check: (signal: AbortSignal) => Promise<string | void> | string | void,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const timeout = checkProbeOptions(`${name} ${target}`, options);
  const started = performance.now();
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  let reason: string;
  try {
    const outcome = Promise.resolve().then(() => check(controller.signal));
    const raced = await raceDeadline(
      outcome.then(
        (value) => typeof value === "string" ? value : "ok",
        (error) => timedOut ? `timed out after ${timeout} ms` : describe(error),
      ),
      timeout,
      () => {
        timedOut = true;
        controller.abort(new Error(`timed out after ${timeout} ms`));
        return `timed out after ${timeout} ms`;
      },
    );
    reason = options.signal?.aborted && raced !== "ok" ? "aborted" : raced;
    // Let a check that ignores the signal settle quietly in the background.
    outcome.catch(() => {});
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return {
    ok: reason === "ok",
    name,
    target,
    reason,
    durationMs: performance.now() - started,
  };
}

/**
 * Validates probe options synchronously, so a bad value is thrown where the
 * probe is called rather than cached as a failed result.
 *
 * @param what The probe and target, for the message.
 * @param options The options.
 * @returns The timeout in milliseconds.
 * @throws {RangeError} When the timeout is not a positive number of
 *   milliseconds a timer can hold.
 */
export function checkProbeOptions(what: string, options: ProbeOptions): number {
  const timeout = options.timeout ?? defaultProbeTimeout() ??
    DEFAULT_PROBE_TIMEOUT;
  if (
    typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0
  ) {
    throw new RangeError(
      `Cannot probe ${what}: timeout must be a positive number of milliseconds, got ${
        JSON.stringify(timeout)
      }`,
    );
  }
  if (timeout > MAX_TIMER_MS) {
    throw new RangeError(
      `Cannot probe ${what}: timeout must be at most ${MAX_TIMER_MS} ms (what a timer can hold; about 24.8 days), got ${timeout}`,
    );
  }
  return timeout;
}

/** Turns a connection failure into a short reason naming the target. */
export function connectReason(error: unknown, target: string): string {
  const cause = error instanceof Error && error.cause instanceof Error
    ? error.cause
    : error;
  for (const candidate of [error, cause]) {
    if (candidate instanceof Deno.errors.ConnectionRefused) {
      return `connection refused ${target}`;
    }
    if (candidate instanceof Deno.errors.ConnectionReset) {
      return `connection reset ${target}`;
    }
    if (candidate instanceof Deno.errors.TimedOut) {
      return `timed out connecting to ${target}`;
    }
    if (candidate instanceof Deno.errors.NotCapable) {
      return `no permission to reach ${target} (${describe(candidate)})`;
    }
  }
  const text = describe(error) + " " + describe(cause);
  if (/refused/i.test(text)) return `connection refused ${target}`;
  if (/dns|lookup|resolve|name or service/i.test(text)) {
    return `cannot resolve ${target}`;
  }
  return `cannot connect to ${target}: ${describe(cause)}`;
}
