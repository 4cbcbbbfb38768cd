/**
 * What a test run left behind on an S3 store: every bucket, with a count.
 *
 * @module
 */

import { s3Client } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import type { S3Config } from "./config.ts";
import { storeClock } from "./_lease.ts";
import { liveRuns, ownLeases } from "./_live_runs.ts";
import { runIdOf } from "../run/naming.ts";

/** Options of {@linkcode listBuckets}. */
export interface ListBucketsOptions {
  /**
   * Also list the buckets of runs still alive (their lease is fresh): on a
   * store other runs share, those are theirs, not leftovers.
   *
   * @default {false}
   */
  includeLive?: boolean;
}

/**
 * Lists every bucket on an S3 store, as `bucket <name> (<n> objects)`,
 * except (unless `includeLive`) those of fixtures of runs still alive.
 *
 * @param config The store.
 * @param options Whether to list live runs' buckets too.
 * @returns One line per bucket.
 *
 * @example
 * ```ts ignore
 * import { listBuckets, startS3rver } from "../../services.ts";
 *
 * await using s3 = await startS3rver();
 * console.log(await listBuckets(s3.config)); // []
 * ```
 */
export async function listBuckets(
  config: S3Config,
  options: ListBucketsOptions = {},
): Promise<string[]> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  try {
    const listing = new sdk.ListBucketsCommand({});
    const now = storeClock(listing);
    const { Buckets = [] } = await client.send(listing);
    // Runs alive by their lease, read after the listing, as the sweep reads
    // them.
    const live = options.includeLive
      ? new Set<string>()
      : await liveRuns(client, ownLeases(Buckets, now()));
    const lines: string[] = [];
    for (const bucket of Buckets) {
      if (live.has(runIdOf(bucket.Name ?? "", "bucket") ?? "")) continue;
      const page = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket.Name!, MaxKeys: 1000 }),
      ).catch(
        (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
          // Deleted since the bucket list was read (a test still running; s3rver
          // answers 500 while it deletes one).
          if (error?.name === "NoSuchBucket") return undefined;
          if (error?.$metadata?.httpStatusCode === 500) return undefined;
          throw error;
        },
      );
      if (!page) continue;
      const { Contents = [], IsTruncated } = page;
      lines.push(
        `bucket ${bucket.Name} (${Contents.length}${
          IsTruncated ? "+" : ""
        } objects)`,
      );
    }
    return lines;
  } finally {
    client.destroy();
  }
}
