/**
 * Service probes: is the service there, and if not, why not. Probe at top
 * level with `await`, then pass the result to a test's `requires`.
 *
 * @module
 */

import { describe, fingerprint, maskUrl } from "../util/text.ts";
import { raceDeadline } from "../util/deadline.ts";
import { defaultProbeTimeout, MAX_TIMER_MS } from "../run/settings.ts";

/** What a probe found. */
export interface ProbeResult {
  /** Whether the service is usable. */
  readonly ok: boolean;
  /** The probe's kind or name (`http`, `tcp`, `s3`, `postgres`, ...). */
  readonly name: string;
  /** What was probed (`127.0.0.1:9000`, `http://localhost:8080/health`). */
  readonly target: string;
  /** Why it is not usable (`connection refused 127.0.0.1:9000`); `"ok"` when it is. */
  readonly reason: string;
  /** How long the probe took, in milliseconds. */
  readonly durationMs: number;
}

/** Options every probe takes. */
export interface ProbeOptions {
  /**
   * How long the probe may take before it reports `timed out after N ms`.
   *
   * @default {10000}
   */
  timeout?: number;
  /** Aborts the probe early; the result's reason is then `aborted`. */
  signal?: AbortSignal;
}

/** Options for {@linkcode probeHttp}. */
export interface HttpProbeOptions extends ProbeOptions {
  /**
   * The status that means healthy: a number, or a predicate.
   *
   * @default {(status) => status >= 200 && status < 300}
   */
  expectStatus?: number | ((status: number) => boolean);
  /**
   * The HTTP method.
   *
   * @default {"GET"}
   */
  method?: string;
}

/**
 * The default probe budget, in milliseconds (`ITKIT_PROBE_TIMEOUT` sets
 * another). Only a service that takes a connection and never answers costs
 * it, once per process (a refused port answers at once); a budget a running
 * service can miss on a loaded machine ignores its tests, which a green run
 * hides. So it is long: this project's own suite, on a loaded 2-core
 * machine, needed it for servers running beside it.
 */
export const DEFAULT_PROBE_TIMEOUT = 10_000;

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
 * callers share the first result. Probe factories use it; use it for your own
 * probes too.
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
 * Probes a TCP port: can a connection be opened within the budget?
 *
 * @param hostname The host, e.g. `127.0.0.1`.
 * @param port The port.
 * @param options Timeout and signal.
 * @returns The (cached) result; `reason` is e.g. `connection refused 127.0.0.1:5432`.
 * @throws {TypeError} When the hostname is empty or the port is not 1..65535.
 *
 * @example
 * ```ts
 * import { probeTcp } from "../../mod.ts";
 *
 * const db = await probeTcp("127.0.0.1", 5432);
 * if (!db.ok) console.log(`postgres is down: ${db.reason}`);
 * ```
 */
export function probeTcp(
  hostname: string,
  port: number,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(
      `Cannot probe TCP: hostname must be a non-empty string, got ${
        JSON.stringify(hostname)
      }`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot probe TCP ${hostname}: port must be an integer from 1 to 65535, got ${port}`,
    );
  }
  const target = `${hostname}:${port}`;
  checkProbeOptions(`tcp ${target}`, options);
  return cachedProbe(
    `tcp ${target}`,
    () =>
      runProbe("tcp", target, async (signal) => {
        try {
          const conn = await Deno.connect({
            hostname: stripBrackets(hostname),
            port,
            signal,
          });
          conn.close();
        } catch (error) {
          return connectReason(error, target);
        }
      }, options),
  );
}

/**
 * Probes an HTTP endpoint: does it answer with the expected status within
 * the budget?
 *
 * @param url The URL, e.g. `http://127.0.0.1:8080/health`.
 * @param options Expected status, method, timeout and signal.
 * @returns The (cached) result; `reason` is e.g. `HTTP 503` or
 *   `connection refused 127.0.0.1:8080`.
 * @throws {TypeError} When `url` is not an http(s) URL.
 *
 * @example
 * ```ts
 * import { probeHttp } from "../../mod.ts";
 *
 * const api = await probeHttp("http://127.0.0.1:8080/health", { timeout: 500 });
 * console.log(api.ok ? "up" : api.reason);
 * ```
 */
export function probeHttp(
  url: string | URL,
  options: HttpProbeOptions = {},
): Promise<ProbeResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `Cannot probe HTTP: ${
        JSON.stringify(maskUrl(String(url)))
      } is not a URL (expected http://host:port/path)`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(
      `Cannot probe HTTP: ${
        JSON.stringify(maskUrl(String(url)))
      } is not an http(s) URL (expected http://host:port/path)`,
    );
  }
  const expect = options.expectStatus ?? ((s: number) => s >= 200 && s < 300);
  const accepts = typeof expect === "number"
    ? (s: number) => s === expect
    : expect;
  const method = options.method ?? "GET";
  // Credentials in the URL are sent, never shown.
  const target = maskUrl(parsed.href);
  checkProbeOptions(`http ${target}`, options);
  const hostPort = `${parsed.hostname}:${
    parsed.port || (parsed.protocol === "https:" ? 443 : 80)
  }`;
  return cachedProbe(
    `http ${method} ${target} ${fingerprint(parsed.href)}`,
    () =>
      runProbe("http", target, async (signal) => {
        let response: Response;
        try {
          response = await fetch(parsed, { method, signal });
        } catch (error) {
          return connectReason(error, hostPort);
        }
        await response.body?.cancel();
        if (!accepts(response.status)) return `HTTP ${response.status}`;
      }, options),
    `http ${target}`,
  );
}

/**
 * Probes anything with a check, synchronous or async: it passes when `check`
 * returns (or resolves to) `true` or nothing, and fails with a reason when it
 * returns `false` or a string, throws, or runs out of time. Cached by `name`.
 *
 * @param name A unique name for what is checked, shown in reasons.
 * @param check The check; it gets a signal aborted at the deadline. For
 *   example `() => Deno.env.get("FLAGS_URL") ? true : "not configured"`.
 * @param options Timeout and signal.
 * @returns The (cached) result.
 *
 * @example
 * ```ts
 * import { probe } from "../../mod.ts";
 *
 * const binary = await probe("psql on PATH", async () => {
 *   try {
 *     return (await new Deno.Command("psql", { args: ["--version"] }).output()).success;
 *   } catch {
 *     return "psql not found";
 *   }
 * });
 * console.log(binary.ok, binary.reason);
 * ```
 */
export function probe(
  name: string,
  check: (
    signal: AbortSignal,
  ) => Promise<boolean | string | void> | boolean | string | void,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  if (typeof name !== "string" || name === "") {
    throw new TypeError("Cannot probe: name must be a non-empty string");
  }
  if (typeof check !== "function") {
    throw new TypeError(`Cannot probe ${name}: check must be a function`);
  }
  checkProbeOptions(name, options);
  return cachedProbe(
    `check ${name}`,
    () =>
      runProbe(name, name, async (signal) => {
        const value = await check(signal);
        if (value === false) return "check returned false";
        if (typeof value === "string") return value;
      }, options),
    `check ${name}`,
  );
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

function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
}

/**
 * Checks a `requires` list: an array of awaited probe results.
 *
 * @param where The start of the error message (`Cannot register ...`).
 * @param requires The value to check.
 * @throws {TypeError} Naming the entry that is a Promise or not a result.
 */
export function checkRequires(where: string, requires: unknown): void {
  if (!Array.isArray(requires)) {
    throw new TypeError(
      `${where}: requires must be an array of probe results`,
    );
  }
  for (const [i, result] of requires.entries()) {
    if (result instanceof Promise) {
      throw new TypeError(
        `${where}: requires[${i}] is a Promise; await the probe at the top level of the module (const db = await probeTcp(...)) and pass the result`,
      );
    }
    if (typeof result?.ok !== "boolean") {
      throw new TypeError(
        `${where}: requires[${i}] is not a probe result (expected { ok, name, target, reason })`,
      );
    }
  }
}
