// Emptying a bucket (or a key prefix in one): versions, delete markers,
// current objects and open multipart uploads. Every quirk of the local S3
// servers that disposal works around is here, in one place.

import { loadS3Sdk, type S3ClientLike } from "./client.ts";

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
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      const result = await retryTransient(() =>
        client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch, Quiet: true },
          }),
        )
      );
      if (result.Errors?.length) {
        const first = result.Errors[0];
        throw new Error(
          `Cannot empty bucket "${bucket}": ${result.Errors.length} deletes failed, e.g. ${first.Key}: ${first.Code} ${first.Message}`,
        );
      }
    }
  };

  // Versions and delete markers, when versioning is or was on.
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
  if (versioned) {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix,
          KeyMarker,
          VersionIdMarker,
        }),
      );
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      if (objects.length) await deleteBatch(objects);
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker !== undefined);
  }

  // Current objects: list the first 1,000, delete them, list again. The
  // fresh listing after each batch needs no continuation token (ListObjects
  // V1 is used because s3rver under Deno cannot make V2 tokens: they need
  // the DES cipher, which Deno's node:crypto lacks).
  for (;;) {
    const page = await client.send(
      new sdk.ListObjectsCommand({ Bucket: bucket, Prefix, MaxKeys: 1000 }),
    );
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length === 0) break;
    await deleteBatch(objects);
  }

  // Open multipart uploads.
  if (lacks.has(`${endpoint} uploads`)) return;
  try {
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix,
          KeyMarker,
          UploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        await client.send(
          new sdk.AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: upload.Key!,
            UploadId: upload.UploadId!,
          }),
        );
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (KeyMarker !== undefined);
  } catch (error) {
    if (!notImplemented(error)) throw error;
    if (endpoint) lacks.add(`${endpoint} uploads`);
  }
}

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
