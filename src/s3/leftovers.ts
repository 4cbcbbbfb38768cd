/**
 * What a test run left behind on an S3 store: every bucket, with a count.
 *
 * @module
 */

import { loadS3Sdk, s3Client } from "./client.ts";
import type { S3Config } from "./config.ts";

/**
 * Lists every bucket on an S3 store, as `bucket <name> (<n> objects)`.
 *
 * @param config The store.
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
export async function listBuckets(config: S3Config): Promise<string[]> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  try {
    const { Buckets = [] } = await client.send(new sdk.ListBucketsCommand({}));
    const lines: string[] = [];
    for (const bucket of Buckets) {
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
