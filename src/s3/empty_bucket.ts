// Emptying a bucket (or a key prefix in one): versions, delete markers,
// current objects and open multipart uploads. Every quirk of the local S3
// servers that disposal works around is here, in one place.

import type { S3ClientLike } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";

/**
 * Deletes every object, version, delete marker and open multipart upload
 * under `prefix` in `bucket`, in batches of at most 1,000 keys. Operations a
 * store does not implement (s3rver has no versioning and no upload listing)
 * are skipped.
 *
 * @param client The S3 client.
 * @param bucket The bucket.
 * @param prefix Only keys starting with this (`""` for all).
 * @param endpoint The store's endpoint; when given, operations it answered
 *   `NotImplemented` for are not tried again.
 */
export async function emptyBucket(
  client: S3ClientLike,
  bucket: string,
  prefix = "",
  endpoint?: string,
): Promise<void> {
  const sdk = await loadS3Sdk();
  const Prefix = prefix === "" ? undefined : prefix;
  const deleteBatch = async (
    objects: { Key: string; VersionId?: string }[],
  ): Promise<void> => {
    const batches: { Key: string; VersionId?: string }[][] = [];
    for (let i = 0; i < objects.length; i += BATCH) {
      batches.push(objects.slice(i, i + BATCH));
    }
    await Promise.all(batches.map(async (batch) => {
      const result = await retryTransient(() =>
        client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch, Quiet: true },
          }),
        )
      );
      const [first] = result.Errors ?? [];
      if (first !== undefined) {
        throw new Error(
          `Cannot empty bucket "${bucket}": ${result.Errors?.length} deletes failed, e.g. ${first.Key}: ${first.Code} ${first.Message}`,
        );
      }
    }));
  };

  // Versions and delete markers, when versioning is or was on: deleted by
  // version id only (a delete without one would add a delete marker).
  let versioned = false;
  if (!lacks.has(`${endpoint} versioning`)) {
    try {
      const { Status } = await client.send(
        new sdk.GetBucketVersioningCommand({ Bucket: bucket }),
      );
      versioned = Status === "Enabled" || Status === "Suspended";
    } catch (error) {
      if (!notImplemented(error)) throw error;
      if (endpoint) lacks.add(`${endpoint} versioning`);
    }
  }
  // Every pass lists from the start again after each batch: a listing that
  // continues after a marker the batch just deleted may come back empty
  // (RGW does) and end the pass early.
  if (versioned) {
    await drain(bucket, async () => {
      const page = await client.send(
        new sdk.ListObjectVersionsCommand({ Bucket: bucket, Prefix }),
      );
      return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .map((v) => ({ Key: v.Key!, VersionId: v.VersionId ?? "null" }));
    }, deleteBatch);
  } else {
    // ListObjects V1: s3rver under Deno cannot make V2 continuation tokens
    // (they need the DES cipher, which Deno's node:crypto lacks).
    await drain(bucket, async () => {
      const page = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket, Prefix, MaxKeys: 1000 }),
      );
      return (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    }, deleteBatch);
  }

  // Open multipart uploads.
  if (lacks.has(`${endpoint} uploads`)) return;
  try {
    await drain(bucket, async () => {
      const page = await client.send(
        new sdk.ListMultipartUploadsCommand({ Bucket: bucket, Prefix }),
      );
      return (page.Uploads ?? []).map((u) => ({
        Key: u.Key!,
        UploadId: u.UploadId!,
      }));
    }, async (uploads) => {
      for (const { Key, UploadId } of uploads) {
        await retryTransient(() =>
          client.send(
            new sdk.AbortMultipartUploadCommand({
              Bucket: bucket,
              Key,
              UploadId,
            }),
          )
        );
      }
    });
  } catch (error) {
    if (!notImplemented(error)) throw error;
    if (endpoint) lacks.add(`${endpoint} uploads`);
  }
}

/** A listed object version, object or upload. */
interface Entry {
  Key: string;
  VersionId?: string;
  UploadId?: string;
}

/**
 * Lists, removes what was listed, and lists again from the start, until a
 * listing is empty. Throws when a listing starts with what the previous
 * batch removed (the store did not remove it), instead of looping forever.
 */
async function drain(
  bucket: string,
  list: () => Promise<Entry[]>,
  remove: (entries: Entry[]) => Promise<void>,
): Promise<void> {
  let previous: Entry[] | undefined;
  for (;;) {
    const entries = await list();
    if (entries.length === 0) return;
    if (previous && sameEntries(previous, entries)) {
      throw new Error(
        `Cannot empty bucket "${bucket}": ${entries.length} entries are still listed after they were deleted, e.g. ${
          JSON.stringify(entries[0])
        }`,
      );
    }
    await remove(entries);
    previous = entries;
  }
}

function sameEntries(a: Entry[], b: Entry[]): boolean {
  return a.length === b.length &&
    a.every((e, i) => {
      const f = b[i];
      return f !== undefined && e.Key === f.Key &&
        e.VersionId === f.VersionId && e.UploadId === f.UploadId;
    });
}

/** Keys per DeleteObjects request; a listed page's requests run at once. */
const BATCH = 500;

/**
 * Features a store answered `NotImplemented` for (s3rver: versioning and
 * upload listing), by endpoint, so later disposals skip those requests.
 */
const lacks = new Set<string>();

/**
 * Retries a request that failed with a transient server error (HTTP 500 or
 * 503: S3's InternalError and SlowDown; s3rver also answers 500 when
 * concurrent deletes in one "directory" race). Deletes are idempotent.
 */
async function retryTransient<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await request();
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } })
        ?.$metadata?.httpStatusCode;
      if (attempt >= 5 || (status !== 500 && status !== 503)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
}

function notImplemented(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotImplemented" || e?.$metadata?.httpStatusCode === 501;
}
