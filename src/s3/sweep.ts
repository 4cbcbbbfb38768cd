// Internal: the S3 part of the sweep: buckets and shared-bucket key prefixes
// named by fixtures, and which of their runs hold a live lease
// (_live_runs.ts, as the leftover check reads them).

import { s3Client, type S3ClientLike } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import type { S3Config } from "./config.ts";
import { emptyBucket } from "./empty_bucket.ts";
import { storeClock } from "./_lease.ts";
import { liveRuns, ownLeases, type SeenLease } from "./_live_runs.ts";
import { createdAt, isLeaseName, runIdOf } from "../run/naming.ts";
import type { StoreSweep, SweepCandidate } from "../run/sweep_store.ts";

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
    leases.push(...ownLeases(Buckets, now()));
    const names = Buckets.map((b) => b.Name ?? "")
      .filter((name) => !shared.includes(name));
    // A run's lease bucket after its other buckets.
    for (const name of sortLeaseLast(names)) {
      const runId = runIdOf(name, "bucket");
      if (runId === undefined) continue;
      candidates.push({
        what: `bucket ${name}`,
        runId,
        created: createdAt(name, "bucket")!,
        remove: () => removeBucket(client, name),
      });
    }
    for (const bucket of shared) {
      const prefixes = await topPrefixes(client, bucket);
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
    live: (runIds) => liveRuns(client, leases, runIds),
    close(): Promise<void> {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/**
 * Every top-level key prefix of `bucket` (`itkit-<run id>-<n>/`), page after
 * page: a listing holds at most 1,000 keys and prefixes, and a shared bucket
 * may hold more.
 */
async function topPrefixes(
  client: S3ClientLike,
  bucket: string,
): Promise<string[]> {
  const sdk = await loadS3Sdk();
  const prefixes = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const page = await client.send(
      new sdk.ListObjectsCommand({
        Bucket: bucket,
        Delimiter: "/",
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    const found = (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? "");
    for (const prefix of found) prefixes.add(prefix);
    if (!page.IsTruncated) return [...prefixes];
    // With a delimiter a store says where the next page starts; else it is
    // after the page's last key or prefix.
    const next = page.NextMarker ||
      [...found, ...(page.Contents ?? []).map((o) => o.Key ?? "")]
        .sort().at(-1);
    if (!next || next === marker) {
      throw new Error(
        `Cannot list the key prefixes of shared bucket "${bucket}": the store says the listing goes on, and gives no place to go on from`,
      );
    }
    marker = next;
  }
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
