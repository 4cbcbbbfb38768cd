// Internal: the S3 part of the sweep: buckets and shared-bucket key prefixes
// named by fixtures, and which of their runs hold a live lease (_lease.ts).

import { loadS3Sdk, s3Client, type S3ClientLike } from "./client.ts";
import type { S3Config } from "./config.ts";
import { emptyBucket } from "./empty_bucket.ts";
import { leaseAlive, storeClock } from "./_lease.ts";
import { createdAt, isLeaseName, runIdOf } from "../run/naming.ts";
import { DEFAULT_LEASE_TTL } from "../run/settings.ts";
import type { StoreSweep, SweepCandidate } from "../run/sweep_store.ts";

/** A lease seen in the listing: its run, and its shared bucket (or `""`). */
interface SeenLease {
  runId: string;
  bucket: string;
  /**
   * An own lease bucket made less than a default ttl before the listing (by
   * the store's clock): its holder may not have written the lease yet.
   */
  young?: boolean;
}

/**
 * Lists the store's toolkit buckets and, in `shared`, toolkit key prefixes.
 *
 * @param config The store.
 * @param shared Shared buckets whose key prefixes to sweep.
 * @returns The store's part of the sweep.
 * @throws When the store cannot be listed.
 */
export async function openS3Sweep(
  config: S3Config,
  shared: readonly string[],
): Promise<StoreSweep> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  const candidates: SweepCandidate[] = [];
  const leases: SeenLease[] = [];
  try {
    const listing = new sdk.ListBucketsCommand({});
    const now = storeClock(listing);
    const { Buckets = [] } = await client.send(listing);
    const made = new Map(
      Buckets.map((b) => [b.Name ?? "", b.CreationDate?.getTime()]),
    );
    const names = [...made.keys()].filter((name) => !shared.includes(name));
    // A run's lease bucket after its other buckets.
    for (const name of sortLeaseLast(names)) {
      const runId = runIdOf(name, "bucket");
      if (runId === undefined) continue;
      if (isLeaseName(name)) {
        const age = (now() ?? NaN) - (made.get(name) ?? NaN);
        // No clock to tell: young, to be safe.
        const young = !(age > DEFAULT_LEASE_TTL);
        leases.push({ runId, bucket: "", young });
      }
      candidates.push({
        what: `bucket ${name}`,
        runId,
        created: createdAt(name, "bucket")!,
        remove: () => removeBucket(client, name),
      });
    }
    for (const bucket of shared) {
      const { CommonPrefixes = [] } = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket, Delimiter: "/" }),
      );
      const prefixes = CommonPrefixes.map((p) => p.Prefix ?? "");
      for (const prefix of sortLeaseLast(prefixes)) {
        const runId = runIdOf(prefix, "prefix");
        if (runId === undefined) continue;
        if (isLeaseName(prefix)) leases.push({ runId, bucket });
        candidates.push({
          what: `prefix ${bucket}/${prefix}`,
          runId,
          created: createdAt(prefix, "prefix")!,
          remove: async () => {
            await emptyBucket(client, bucket, prefix);
            return true;
          },
        });
      }
    }
  } catch (error) {
    client.destroy();
    throw error;
  }
  return {
    candidates,
    async live(runIds): Promise<Set<string>> {
      const live = new Set<string>();
      for (const { runId, bucket, young } of leases) {
        if (!runIds.has(runId) || live.has(runId)) continue;
        const alive = await leaseAlive(client, runId, bucket);
        if (alive || (alive === undefined && young)) live.add(runId);
      }
      return live;
    },
    close(): Promise<void> {
      client.destroy();
      return Promise.resolve();
    },
  };
}

function sortLeaseLast(names: string[]): string[] {
  return names.toSorted((a, b) =>
    Number(isLeaseName(a)) - Number(isLeaseName(b))
  );
}

/**
 * Empties and deletes a bucket; one already gone (another sweep, or its
 * reaper, removing it at the same time) is no failure.
 */
async function removeBucket(
  client: S3ClientLike,
  name: string,
): Promise<boolean> {
  const sdk = await loadS3Sdk();
  try {
    await emptyBucket(client, name);
    await client.send(new sdk.DeleteBucketCommand({ Bucket: name }));
    return true;
  } catch (error) {
    if ((error as Error).name === "NoSuchBucket") return false;
    // s3rver answers 500 to a request on a bucket it is deleting.
    const gone = await client.send(new sdk.HeadBucketCommand({ Bucket: name }))
      .then(() => false, (e) => e?.$metadata?.httpStatusCode === 404);
    if (!gone) throw error;
    return false;
  }
}
