/**
 * Service probes: is the service there, and if not, why not. Probe at top
 * level with `await`, then pass the result to a test's `requires`.
 *
 * @module
 */

import { fingerprint, maskUrl } from "../util/text.ts";
import type { ProbeOptions, ProbeResult } from "./probe_types.ts";
import {
  cachedProbe,
  checkProbeOptions,
  connectReason,
  runProbe,
} from "./_probe.ts";

export type { ProbeOptions, ProbeResult } from "./probe_types.ts";

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

function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
}
