/**
 * The PostgreSQL probe: connect and `select 1`.
 *
 * @module
 */

import type { ProbeOptions, ProbeResult } from "../core/probe.ts";
import { cachedProbe, checkProbeOptions, runProbe } from "../core/_probe.ts";
import { type PostgresConfig, postgresConfig, postgresUrl } from "./config.ts";
import { loadPostgres } from "./client.ts";
import { discardSharedPool, sharedPool } from "./_shared_pool.ts";
import { describe, fingerprint } from "../util/text.ts";
import { tlsReason } from "./_tls.ts";
import { atModuleLoad } from "../core/_module_load.ts";
import { requestPostgresLease } from "./_lease_request.ts";

/**
 * Probes a PostgreSQL server: connect and run `select 1`, on the process's
 * shared pool, which stays open (and warm for the tests) when the server
 * answers. The budget covers the network, not loading postgres.js. Reasons tell apart
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
  // Masked: the result and every message show it.
  const target = postgresUrl(config);
  const hostPort = `${config.host}:${config.port}`;
  checkProbeOptions(`postgres ${target}`, options);
  return cachedProbe(
    // Another password is another probe; the key holds its fingerprint.
    `postgres ${target} ${fingerprint(config.password)}`,
    async () => {
      // At a test module's load, the run's lease on the server (which its
      // tests wait for before they start) is taken beside the probe rather
      // than after it, when the module declares its fixtures.
      if (atModuleLoad()) requestPostgresLease(config);
      // Loading postgres.js is not the server's time: outside the budget.
      const factory = await loadPostgres();
      return await runProbe("postgres", target, async (signal) => {
        // The process's pool: a server that answers leaves it warm for the
        // tests (its connection is opened before any test's sanitizers).
        const pool = sharedPool(factory, config);
        const unhold = pool.hold();
        const reason = pool.sql`select 1`.then(
          () => undefined,
          (error) => postgresReason(error, hostPort, config),
        ).then(async (reason) => {
          unhold();
          if (reason !== undefined) await discardSharedPool(config);
          return reason;
        });
        // Out of budget: the connection attempt is left to settle on its own
        // (destroying it mid-write would reject where nothing listens).
        signal.addEventListener("abort", unhold, { once: true });
        try {
          return await reason;
        } finally {
          signal.removeEventListener("abort", unhold);
        }
      }, options);
    },
    `postgres ${target}`,
  );
}

/** A short reason for a postgres.js connection failure. */
function postgresReason(
  error: unknown,
  hostPort: string,
  config: PostgresConfig,
): string {
  const e = error as { code?: string; message?: string; errno?: string };
  const tls = tlsReason(config, error);
  if (tls !== undefined) return `cannot use ${hostPort}: ${tls}`;
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
