// Internal: the test process's side of its run's lease on a PostgreSQL
// server (see _lease.ts). A module that declares a database fixture takes
// the lease itself, at module load, on a connection of its own (opened
// outside any test: no sanitizer sees it; its socket never keeps the process
// alive), and the first setup on the server waits for it: a resource is never
// made there before the run is seen alive. Once the process ends, its reaper
// on this machine (src/run/_local_runs.ts) and its clone helper (which holds
// the lease until it has dropped its databases) show it alive while they
// clean up. A standalone fixture, which must not open a connection that
// outlives its test, asks the clone helper if one runs; else the sweep sees
// the run by its pool's `application_name` while the process lives, and by
// the age of what it made.

import type postgres from "npm:postgres@^4.2.0";
import type net from "node:net";
import { RUN_ID } from "../run/naming.ts";
import type { PostgresConfig } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import { clonePoolStarted, holdLease } from "./_clone_pool.ts";
import { LEASE_CLASS, leaseKey } from "./_lease.ts";
import type { Pg } from "./_shared_pool.ts";
import { connectingSocket } from "./_socket.ts";

function store(config: PostgresConfig): string {
  return `${config.host}:${config.port}`;
}

/** The lease of this process, by server: whether it is held, once known. */
interface Lease {
  held?: boolean;
  wait: Promise<void>;
}
const leases = new Map<string, Lease>();

/**
 * Takes this run's lease on `config`'s server now, once per server. Call
 * it at module load (a declared fixture's `prepare`), never inside a test.
 *
 * @param config The server.
 */
export function requestPostgresLease(config: PostgresConfig): void {
  const key = store(config);
  if (leases.has(key)) return;
  const lease: Lease = { wait: Promise.resolve() };
  lease.wait = holdHere(config).then(
    (held) => void (lease.held = held),
    () => void (lease.held = false), // down: its tests say so
  );
  leases.set(key, lease);
  waitBeforeFirstTest();
}

let hooked = false;

/**
 * Has `deno test` wait for the leases before the module's first test (its
 * `beforeAll` hook, outside every test's sanitizers): postgres.js's connect
 * timer, started at module load, must not end inside a test. (Without the
 * hook, the first setup on the server waits.)
 */
function waitBeforeFirstTest(): void {
  if (hooked) return;
  hooked = true;
  const hooks = Deno.test as Partial<typeof Deno.test>;
  if (typeof hooks.beforeAll !== "function") return;
  hooks.beforeAll(async () => {
    await Promise.all([...leases.values()].map((lease) => lease.wait));
  });
}

/** The session name that says whose the connection is. */
const NAME = `itkit lease ${RUN_ID}`;

/**
 * Opens the connection and takes the lock on it; `false` on a server whose
 * connections share one session (PGlite over a socket ignores the startup
 * `application_name`), where a lock would outlive the run.
 */
async function holdHere(config: PostgresConfig): Promise<boolean> {
  const factory = await loadPostgres();
  let socket: net.Socket | undefined;
  const sql = factory({
    ...postgresOptions(config, {
      max: 1,
      fetch_types: false, // one query, no arrays: no round trip for them
      connection: { application_name: NAME },
    }),
    socket: () => Promise.resolve(socket = connectingSocket(config)),
  } as postgres.Options<Record<string, postgres.PostgresType>>) as Pg;
  try {
    const [row] = await sql<{ held: boolean | null }[]>`
      select case when current_setting('application_name') = ${NAME}
        then pg_try_advisory_lock_shared(${LEASE_CLASS}::int4, ${
      leaseKey(RUN_ID) | 0
    }::int4) end as held`;
    if (row?.held) {
      // Referenced while the lock was asked for (a setup waits for it);
      // from now on it must not keep the process alive.
      socket?.unref();
      return true;
    }
  } catch {
    // Refused, or no answer: its tests report the server.
  }
  await sql.end({ timeout: 0 }).catch(() => {});
  return false;
}

/** Helper leases asked for, by server (a standalone fixture's). */
const byHelper = new Map<string, Lease>();

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
  const own = leases.get(key);
  if (own?.held === undefined && own) return own.wait;
  if (own?.held) return undefined;
  if (!clonePoolStarted()) return undefined;
  let lease = byHelper.get(key);
  if (lease?.held !== undefined) return undefined;
  if (!lease) {
    const asked: Lease = { wait: Promise.resolve() };
    asked.wait = holdLease(config).then(
      (held) => void (asked.held = held),
      () => void (asked.held = false), // the helper is gone
    );
    byHelper.set(key, asked);
    lease = asked;
  }
  return lease.wait;
}
