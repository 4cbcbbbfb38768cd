// Internal: which runs a listing of an S3 store shows alive, one rule for the
// sweep and the leftover check: a run whose lease object is younger than the
// ttl written with it (_lease.ts), or whose own lease bucket has no object
// yet and was made less than a default ttl before the listing, by the
// store's clock (its holder creates the bucket, then writes the object).

import { isLeaseName, runIdOf } from "../run/naming.ts";
import { DEFAULT_LEASE_TTL } from "../run/settings.ts";
import type { S3ClientLike } from "./client.ts";
import { leaseAlive } from "./_lease.ts";

/** A lease seen in a listing: its run, and its shared bucket (or `""`). */
export interface SeenLease {
  /** The run it belongs to. */
  runId: string;
  /** The shared bucket it is kept in, or `""` for a bucket of its own. */
  bucket: string;
  /**
   * A lease bucket of its own made less than a default ttl before the
   * listing: its holder may not have written the lease yet.
   */
  young?: boolean;
}

/**
 * The runs' own lease buckets in a ListBuckets answer.
 *
 * @param buckets The answer's buckets.
 * @param now The store's clock when it answered (`undefined`: unknown, and
 *   every lease bucket counts as young, to be safe).
 * @returns One lease per lease bucket.
 */
export function ownLeases(
  buckets: readonly {
    Name?: string | undefined;
    CreationDate?: Date | undefined;
  }[],
  now: number | undefined,
): SeenLease[] {
  const leases: SeenLease[] = [];
  for (const { Name = "", CreationDate } of buckets) {
    const runId = runIdOf(Name, "bucket");
    if (runId === undefined || !isLeaseName(Name)) continue;
    const age = (now ?? NaN) - (CreationDate?.getTime() ?? NaN);
    leases.push({ runId, bucket: "", young: !(age > DEFAULT_LEASE_TTL) });
  }
  return leases;
}

/**
 * Which runs of `leases` are alive: their lease object is fresh, or (no
 * object yet) their lease bucket is young. One HEAD request per run.
 *
 * @param client A client of the store.
 * @param leases The leases seen in the listing.
 * @param runIds Only these runs (all when omitted).
 * @returns The live ones.
 */
export async function liveRuns(
  client: S3ClientLike,
  leases: readonly SeenLease[],
  runIds?: ReadonlySet<string>,
): Promise<Set<string>> {
  const live = new Set<string>();
  for (const { runId, bucket, young } of leases) {
    if ((runIds && !runIds.has(runId)) || live.has(runId)) continue;
    const alive = await leaseAlive(client, runId, bucket);
    if (alive || (alive === undefined && young)) live.add(runId);
  }
  return live;
}
