/**
 * The PostgreSQL probe: connect and `select 1`.
 *
 * @module
 */

import {
  cachedProbe,
  checkProbeOptions,
  type ProbeOptions,
  type ProbeResult,
  runProbe,
} from "../core/probe.ts";
import { type PostgresConfig, postgresConfig, postgresUrl } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import { describe } from "../util/text.ts";

/**
 * Probes a PostgreSQL server: connect and run `select 1`. Reasons tell apart
 * `connection refused 127.0.0.1:5432`, `timed out after N ms`,
 * `bad credentials (password authentication failed for user "app")` and
 * `database "app" does not exist`. Cached per server, database and user.
 *
 * @param config The settings; {@linkcode postgresConfig} from the environment by default.
 * @param options Timeout and signal.
 * @returns The result.
 *
 * @example
 * ```ts
 * import { probePostgres, postgresConfig } from "../../postgres.ts";
 *
 * const db = await probePostgres(postgresConfig({ PGHOST: "127.0.0.1", PGPORT: "9" }));
 * console.log(db.ok, db.reason); // false connection refused 127.0.0.1:9
 * ```
 */
export function probePostgres(
  config: PostgresConfig = postgresConfig(),
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const target = postgresUrl(config);
  const hostPort = `${config.host}:${config.port}`;
  checkProbeOptions(`postgres ${target}`, options);
  return cachedProbe(
    `postgres ${postgresUrl(config, true)}`,
    () =>
      runProbe("postgres", target, async (signal) => {
        const postgres = await loadPostgres();
        const timeout = Math.max(
          1,
          Math.ceil((options.timeout ?? 1000) / 1000),
        );
        const sql = postgres(postgresOptions(config, {
          max: 1,
          connect_timeout: timeout,
        }));
        const stop = () => sql.end({ timeout: 0 });
        signal.addEventListener("abort", stop, { once: true });
        try {
          await sql`select 1`;
        } catch (error) {
          return postgresReason(error, hostPort, config);
        } finally {
          signal.removeEventListener("abort", stop);
          await stop();
        }
      }, options),
  );
}

/** A short reason for a postgres.js connection failure. */
export function postgresReason(
  error: unknown,
  hostPort: string,
  config: PostgresConfig,
): string {
  const e = error as { code?: string; message?: string; errno?: string };
  switch (e?.code) {
    case "ECONNREFUSED":
      return `connection refused ${hostPort}`;
    case "CONNECT_TIMEOUT":
      return `timed out connecting to ${hostPort}`;
    case "28P01":
    case "28000":
      return `bad credentials (${e.message})`;
    case "3D000":
      return `database "${config.database}" does not exist`;
    case "CONNECTION_CLOSED":
    case "CONNECTION_ENDED":
    case "CONNECTION_DESTROYED":
      return `connection closed by ${hostPort}`;
  }
  if (/ECONNREFUSED|refused/i.test(e?.message ?? "")) {
    return `connection refused ${hostPort}`;
  }
  return `cannot use ${hostPort}: ${describe(error)}`;
}
