// Internal: the test process asks for its run's lease on a PostgreSQL server
// (see _lease.ts and src/run/lease.ts): from the reaper, else from the clone
// helper (a process with ITKIT_REAPER=0), else from nobody (no --allow-run:
// the sweep then sees the run by its pool's `application_name` while the
// process lives, and by the age of its resources).

import { type LeaseResource, leaseWait, requestLease } from "../run/lease.ts";
import { reaperRunning } from "../run/reaper.ts";
import { RUN_ID } from "../run/naming.ts";
import type { PostgresConfig } from "./config.ts";
import { clonePoolStarted, holdLease } from "./_clone_pool.ts";
import type { PostgresLease } from "./_lease.ts";

/** The module that holds a lease for the reaper. */
const LEASE_MODULE = new URL("./_lease.ts", import.meta.url).href;

function store(config: PostgresConfig): string {
  return `postgres ${config.host}:${config.port}`;
}

function lease(config: PostgresConfig): () => LeaseResource {
  return (): PostgresLease => {
    const { host, port, user, password, database } = config;
    return {
      remover: LEASE_MODULE,
      what: `lease of run ${RUN_ID} on postgres ${host}:${port}`,
      config: { host, port, user, password, database },
      runId: RUN_ID,
    };
  };
}

/**
 * Has the reaper take the lease on `config`'s server now (at module load).
 *
 * @param config The server.
 */
export function requestPostgresLease(config: PostgresConfig): void {
  if (reaperRunning()) requestLease(store(config), lease(config));
}

/** Helper leases asked for, by server, and those answered. */
const byHelper = new Map<string, Promise<void>>();
const answered = new Set<string>();

/**
 * Waits, the first time for a server, until the run's lease there is held:
 * call before creating anything on it.
 *
 * @param config The server.
 * @returns Nothing once known (no cost), else the wait.
 */
export function postgresLeaseWait(
  config: PostgresConfig,
): Promise<void> | undefined {
  const key = store(config);
  if (reaperRunning()) return leaseWait(key, lease(config));
  if (answered.has(key) || !clonePoolStarted()) return undefined;
  let wait = byHelper.get(key);
  if (!wait) {
    wait = holdLease(config).then(
      () => void answered.add(key),
      () => void answered.add(key), // the helper is gone: age alone
    );
    byHelper.set(key, wait);
  }
  return wait;
}
