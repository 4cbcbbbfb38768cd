// Internal: the test process's side of its run's lease on a PostgreSQL
// server (see _lease.ts). A module that declares a database fixture takes
// the lease itself, at module load, on a connection of its own (opened
// outside any test: no sanitizer sees it; its socket never keeps the process
// alive once the lease is held, and is never cut off from a server that
// stops answering), checked every few seconds and taken again if its
// connection was lost; the first setup on the server waits for it: a
// resource is never made there before the run is seen alive. Once the
// process ends, its reaper on this machine (src/run/_local_runs.ts) and its
// clone helper (which holds the lease until it has dropped its databases)
// show it alive while they clean up. A standalone fixture, which must not
// open a connection that outlives its test, asks the clone helper if one
// runs; else the sweep sees the run by its pool's `application_name` while
// the process lives, and by the age of what it made. A lease that cannot be
// held is said on stderr, once per server.

import { RUN_ID } from "../run/naming.ts";
import type { PostgresConfig } from "./config.ts";
import { clonePoolStarted, holdLease } from "./_clone_pool.ts";
import { hold } from "./_lease.ts";
import { serverAddress } from "./_socket.ts";
import { describe } from "../util/text.ts";

function store(config: PostgresConfig): string {
  return `${config.host}:${config.port}`;
}

/** The lease of this process, by server: whether it is held, once known. */
interface Lease {
  held?: boolean;
  /** Why it is not, once known. */
  why?: string;
  wait: Promise<void>;
}
const leases = new Map<string, Lease>();

/**
 * Takes this run's lease on `config`'s server now, once per server, and
 * keeps it (taken again if its connection is lost). Call it at module load
 * (a declared fixture's `prepare`), never inside a test.
 *
 * @param config The server.
 */
export function requestPostgresLease(config: PostgresConfig): void {
  const key = store(config);
  if (leases.has(key)) return;
  const lease: Lease = { wait: Promise.resolve() };
  lease.wait = hold(config, [RUN_ID], {
    unref: true,
    onUnheld: (why) =>
      warn(config, `it was lost and cannot be taken again yet (${why})`),
  }).then(
    (held) => {
      lease.held = held;
      if (!held) {
        lease.why =
          "the server's connections share one session (PGlite), where a lock would outlive the run";
      }
    },
    (error) => {
      // Down or refused: its tests say so.
      lease.held = false;
      lease.why = describe(error);
    },
  );
  leases.set(key, lease);
  waitBeforeFirstTest();
}

const warned = new Set<string>();

/** Says, once per server, that the run's lease there is not held. */
function warn(config: PostgresConfig, why: string): void {
  const key = store(config);
  if (warned.has(key)) return;
  warned.add(key);
  console.error(
    `itkit: the run's lease on PostgreSQL at ${
      serverAddress(config)
    } is not held: ${why}. A sweep from another process protects what this run makes there by its age only (and by this process's open connections).`,
  );
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
  if (own && own.held === undefined) {
    return own.wait.then(() => postgresLeaseWait(config));
  }
  if (own?.held) return undefined;
  if (clonePoolStarted()) {
    let lease = byHelper.get(key);
    if (!lease) {
      const asked: Lease = { wait: Promise.resolve() };
      asked.wait = holdLease(config).then(
        (held) => void (asked.held = held),
        () => void (asked.held = false), // the helper is gone
      );
      byHelper.set(key, asked);
      lease = asked;
    }
    if (lease.held === undefined) {
      return lease.wait.then(() => postgresLeaseWait(config));
    }
    if (lease.held) return undefined;
  }
  if (own) warn(config, `it could not be taken (${own.why})`);
  return undefined;
}
