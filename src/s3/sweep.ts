// Internal: the S3 part of the sweep: buckets and shared-bucket key prefixes
// named by fixtures of runs older than the cutoff.

import { loadS3Sdk, s3Client } from "./client.ts";
import type { S3Config } from "./config.ts";
import { emptyBucket } from "./empty_bucket.ts";
import { isSweepable, type SweepAttempt } from "../run/naming.ts";

/** Removes the store's sweepable buckets and shared-bucket prefixes. */
export async function sweepS3(
  config: S3Config,
  shared: string[],
  cutoff: Date,
  attempt: SweepAttempt,
): Promise<void> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  try {
    const { Buckets = [] } = await client.send(new sdk.ListBucketsCommand({}));
    for (const { Name } of Buckets) {
      if (
        !Name || shared.includes(Name) || !isSweepable(Name, "bucket", cutoff)
      ) continue;
      await attempt(`bucket ${Name}`, async () => {
        await emptyBucket(client, Name);
        await client.send(new sdk.DeleteBucketCommand({ Bucket: Name }));
      });
    }
    for (const bucket of shared) {
      const { CommonPrefixes = [] } = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket, Delimiter: "/" }),
      );
      for (const { Prefix } of CommonPrefixes) {
        if (!Prefix || !isSweepable(Prefix, "prefix", cutoff)) continue;
        await attempt(
          `prefix ${bucket}/${Prefix}`,
          () => emptyBucket(client, bucket, Prefix),
        );
      }
    }
  } finally {
    client.destroy();
  }
}
