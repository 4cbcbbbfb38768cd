// Internal: the test process asks the reaper for its run's lease on an S3
// store (see _lease.ts and src/run/lease.ts). Without a reaper
// (ITKIT_REAPER=0, no --allow-run) there is none: a sweep then protects the
// run's buckets only by what else it sees of the run (its PostgreSQL lease,
// its process on this machine) and by their age.

import { type LeaseResource, leaseWait, requestLease } from "../run/lease.ts";
import { reaperRunning } from "../run/reaper.ts";
import { leaseBucket, leasePrefix, RUN_ID } from "../run/naming.ts";
import { leaseTtl } from "../run/settings.ts";
import type { S3Config } from "./config.ts";
import type { S3Lease } from "./_lease.ts";

/** The module that holds a lease for the reaper. */
const LEASE_MODULE = new URL("./_lease.ts", import.meta.url).href;

function store(config: S3Config, bucket: string): string {
  return `s3 ${config.endpoint.href} ${bucket}`;
}

function lease(config: S3Config, bucket: string): () => LeaseResource {
  return (): S3Lease => ({
    remover: LEASE_MODULE,
    what: `lease of run ${RUN_ID} on s3 ${config.endpoint.origin} (${
      bucket === "" ? leaseBucket(RUN_ID) : `${bucket}/${leasePrefix(RUN_ID)}`
    })`,
    // As it travels to the reaper (JSON): the endpoint a string.
    config: { ...config, endpoint: config.endpoint.href },
    bucket,
    runId: RUN_ID,
  });
}

/**
 * Has the reaper take the lease on the store now (at module load), before
 * it makes any bucket ahead.
 *
 * @param config The store.
 * @param bucket The shared bucket the fixture uses, if any.
 * @throws {TypeError} For a malformed `ITKIT_LEASE_TTL`.
 */
export function requestS3Lease(config: S3Config, bucket = ""): void {
  if (!reaperRunning()) return;
  leaseTtl(); // a malformed ITKIT_LEASE_TTL fails here, not in the reaper
  requestLease(store(config, bucket), lease(config, bucket));
}

/**
 * Waits, the first time for a store, until the run's lease there is held:
 * call before creating a bucket or key prefix on it.
 *
 * @param config The store.
 * @param bucket The shared bucket the fixture uses, if any.
 * @returns Nothing once known (no cost), else the wait.
 */
export function s3LeaseWait(
  config: S3Config,
  bucket = "",
): Promise<void> | undefined {
  if (!reaperRunning()) return undefined;
  return leaseWait(store(config, bucket), lease(config, bucket));
}
