// Internal: how the reaper (src/run/_reaper_main.ts) removes a bucket, or a
// key prefix in a shared bucket: emptied (every quirk in empty_bucket.ts),
// then deleted; and how it creates one ahead. One client per store, kept for
// the reaper's life.

import type { ReapedResource } from "../run/reaper.ts";
import { s3Client, type S3ClientLike } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import type { S3Config } from "./config.ts";
import { emptyBucket } from "./empty_bucket.ts";
import { holdBefore } from "./_lease.ts";

/** A bucket (or a key prefix in a shared one) as registered with the reaper. */
export interface ReapedBucket extends ReapedResource {
  /** The store, as JSON (`endpoint` a string). */
  config: Omit<S3Config, "endpoint"> & { endpoint: string };
  /** The bucket. */
  bucket: string;
  /** `""` for an own bucket (deleted too), else the fixture's key prefix. */
  keyPrefix: string;
}

/**
 * The AWS SDK, loaded with this module (only the reaper imports it): the
 * reaper's budget for a creation ahead starts once the module is loaded, and
 * loading the SDK (seconds on a cold cache) is not the store's time.
 */
const sdk = await loadS3Sdk();

const clients = new Map<string, Promise<S3ClientLike>>();

function clientFor(config: ReapedBucket["config"]): Promise<S3ClientLike> {
  const endpoint = new URL(config.endpoint);
  const key = `${endpoint.href} ${config.accessKeyId}`;
  let client = clients.get(key);
  if (!client) {
    client = s3Client({ ...config, endpoint } as S3Config);
    clients.set(key, client);
  }
  return client;
}

/**
 * Creates the bucket ahead of the test that takes it.
 *
 * @param resource The registered bucket (an own one: `keyPrefix` is `""`).
 * @param signal Aborts the request.
 */
export async function create(
  resource: ReapedBucket,
  signal: AbortSignal,
): Promise<void> {
  const { config, bucket } = resource;
  await holdBefore(config, bucket); // the run's lease first
  await (await clientFor(config)).send(
    new sdk.CreateBucketCommand({ Bucket: bucket }),
    { abortSignal: signal },
  );
}

/**
 * Empties the bucket (or the prefix) and deletes an own bucket; one that was
 * never created is no failure.
 *
 * @param resource The registered bucket.
 */
export async function reap(resource: ReapedBucket): Promise<void> {
  const { config, bucket, keyPrefix } = resource;
  const endpoint = new URL(config.endpoint);
  const client = clientFor(config);
  try {
    await emptyBucket(await client, bucket, keyPrefix, endpoint.href);
    if (keyPrefix === "") {
      await (await client).send(
        new sdk.DeleteBucketCommand({ Bucket: bucket }),
      );
    }
  } catch (error) {
    if ((error as { name?: string })?.name !== "NoSuchBucket") throw error;
  }
}
