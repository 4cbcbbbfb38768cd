// Internal: the test process's side of the leases the reaper holds for the
// run. A lease tells a sweep, on any host that shares a server, that the run
// is alive: the sweep then leaves every resource named with its run id
// alone. Where holding one needs a timer (an S3 heartbeat: src/s3/_lease.ts),
// the reaper holds it: it lives as long as the test process, and on while it
// removes what the process left, and a test process may keep no timer (the
// sanitizers). (A PostgreSQL lease is a lock on a connection, which the test
// process holds itself: src/postgres/_lease_request.ts.)
//
// A declared fixture asks for its store's lease at module load
// (`requestLease`, beside `startReaper`), and its setup waits for it before
// it creates anything on the store (`leaseWait`): a resource never exists
// before its run's lease is visible. After the first answer a setup only
// reads a map.

import { type MadeAhead, madeAhead } from "./reaper.ts";
import type { ReapedResource } from "./_reaper_protocol.ts";

/**
 * A lease as the reaper holds it: made ahead (its module's `create` takes
 * it) and, being registered before any resource on its store, removed after
 * them (its module's `reap` lets go of it).
 */
export interface LeaseResource extends ReapedResource {
  /** The run whose resources it protects. */
  runId: string;
}

interface Lease {
  ahead?: MadeAhead<LeaseResource> | undefined;
  /** The answer, once known: whether the reaper holds it. */
  held?: boolean;
  waiting?: Promise<void>;
}

const leases = new Map<string, Lease>();

/**
 * Has the reaper take the lease on a store now, once per store. Call it
 * where the reaper was started (at module load).
 *
 * @param store The store (one lease per store and run).
 * @param make The lease, for the reaper.
 */
export function requestLease(store: string, make: () => LeaseResource): void {
  if (leases.has(store)) return;
  leases.set(store, { ahead: madeAhead(make) });
}

/**
 * Waits, the first time for a store, until its lease is held (asking the
 * reaper now if it was not asked at module load).
 *
 * @param store The store.
 * @param make The lease, if it must be asked for now.
 * @returns Nothing once the answer is known (the usual case, at no cost), or
 *   the wait.
 */
export function leaseWait(
  store: string,
  make: () => LeaseResource,
): Promise<void> | undefined {
  let lease = leases.get(store);
  if (lease?.held !== undefined) return undefined;
  if (!lease) {
    lease = { ahead: madeAhead(make) };
    leases.set(store, lease);
  }
  const known = lease;
  return known.waiting ??= (async () => {
    // Nothing made ahead (no reaper) or not made: the store's resources are
    // protected by what else the sweep sees of the run, and by their age.
    known.held = (await known.ahead?.take()) !== undefined;
    if (!known.held && known.ahead !== undefined) {
      // The reaper could not take it (its log says why).
      console.error(
        `itkit: ${make().what} is not held: the reaper could not take it (its log says why). A sweep from another process protects what this run makes there by its age only (and by its processes on this machine).`,
      );
    }
  })();
}

/**
 * Whether the reaper holds the lease on a store (`undefined`: not known yet).
 *
 * @param store The store.
 * @returns The answer.
 */
export function leaseHeld(store: string): boolean | undefined {
  return leases.get(store)?.held;
}
