/**
 * A fresh S3 bucket per use (or a fresh key prefix in a shared bucket),
 * emptied and removed on dispose: objects, versions, delete markers and open
 * multipart uploads.
 *
 * @module
 */

import { defineFixture, type FixtureFactory } from "../core/fixture.ts";
import { s3Client, type S3ClientLike } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import { type S3Config, s3Config, s3Permissions } from "./config.ts";
import { emptyBucket } from "./empty_bucket.ts";
import { describe } from "../util/text.ts";
import { maskFields } from "../util/masked_inspect.ts";
import { uniqueName } from "../run/naming.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import {
  forget,
  handOff,
  type MadeAhead,
  madeAhead,
  register,
  startReaper,
} from "../run/reaper.ts";
import type { ReapedBucket } from "./_reap.ts";
import { requestS3Lease, s3LeaseWait } from "./_lease_request.ts";

/** Options of {@linkcode s3Bucket}. */
export interface S3BucketOptions {
  /**
   * Where the store is.
   *
   * @default {s3Config() (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION)}
   */
  config?: S3Config;
  /**
   * The start of the bucket's (or, with `bucket`, the key prefix's) name;
   * lowercase letters, digits and hyphens. The rest is the run id and a
   * counter: `itkit-mi3k2j1a4f2c-7`.
   *
   * @default {"itkit"}
   */
  prefix?: string;
  /**
   * An existing, shared bucket to use instead of creating one (for accounts
   * that may not create buckets). The fixture then owns a unique key prefix
   * in it, and deletes only the objects under that prefix.
   *
   * @default {undefined} (create a bucket)
   */
  bucket?: string;
}

/** A started bucket fixture. */
export interface S3Bucket extends AsyncDisposable {
  /** An S3 client for the store; destroyed on dispose. */
  readonly client: S3ClientLike;
  /** The bucket's name. */
  readonly name: string;
  /** `""` for an own bucket; `"itkit-…/"` in a shared bucket. */
  readonly keyPrefix: string;
  /** The settings used. */
  readonly config: S3Config;
  /**
   * A key inside this fixture's space: `keyPrefix + path`.
   *
   * @param path The key relative to the fixture.
   * @returns The full key.
   */
  key(path: string): string;
  /** Deletes everything the fixture owns and destroys the client. Idempotent. */
  close(): Promise<void>;
}

interface Prepared {
  config: S3Config;
  prefix: string;
  bucket?: string | undefined;
  /** Declared on a test: its removal is handed to the reaper, if one runs. */
  declared: boolean;
  /** Own buckets the reaper makes ahead for this declaration's starts. */
  ahead?: MadeAhead<ReapedBucket> | undefined;
}

/** How the reaper removes a bucket. */
const REMOVER = new URL("./_reap.ts", import.meta.url).href;

const NAME_PREFIX = /^[a-z0-9][a-z0-9-]{0,30}$/;

/**
 * Creates a fresh bucket (or a key prefix in a shared bucket) and removes
 * everything in it on dispose. Declared on a test, it grants the network to
 * the endpoint and the variables the AWS SDK reads, nothing else.
 *
 * @param options Settings, name prefix, shared bucket.
 * @returns The bucket's handle.
 * @throws {TypeError} For a bad prefix or bucket name, or a malformed `S3_*` variable.
 *
 * @example
 * ```ts ignore
 * import { PutObjectCommand } from "npm:@aws-sdk/client-s3";
 * import { s3Bucket } from "../../s3.ts";
 *
 * await using bucket = await s3Bucket();
 * await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: bucket.key("a.txt"), Body: "hi" }));
 * // the object and the bucket are gone after this scope
 * ```
 */
export const s3Bucket: FixtureFactory<S3BucketOptions, S3Bucket> =
  defineFixture<
    S3BucketOptions,
    S3Bucket,
    Record<string, unknown>,
    Prepared
  >({
    name: "s3Bucket",
    prepare(options, mode): Prepared {
      const prefix = options?.prefix ?? "itkit";
      if (typeof prefix !== "string" || !NAME_PREFIX.test(prefix)) {
        throw new TypeError(
          `Cannot create s3Bucket fixture: prefix ${
            JSON.stringify(prefix)
          } is not usable in a bucket name (expected 1-31 lowercase letters, digits and hyphens, starting with a letter or digit)`,
        );
      }
      const bucket = options?.bucket;
      if (bucket !== undefined && !validBucketName(bucket)) {
        throw new TypeError(
          `Cannot create s3Bucket fixture: bucket ${
            JSON.stringify(bucket)
          } is not a bucket name (expected 3-63 lowercase letters, digits, dots and hyphens)`,
        );
      }
      const declared = mode === "declared";
      if (declared) {
        loadS3Sdk(); // start loading at module load
        startReaper(); // reaper: at module load, while we may spawn
      }
      const prepared: Prepared = {
        config: options?.config ?? s3Config(),
        prefix,
        bucket,
        declared,
      };
      // lease: the run's, before any of its buckets (see _lease.ts)
      if (declared) requestS3Lease(prepared.config, bucket);
      if (declared && bucket === undefined) {
        // The first start's bucket, made by the reaper now.
        prepared.ahead = madeAhead(() =>
          bucketResource(prepared, uniqueName(prefix, "-"), "")
        );
      }
      return prepared;
    },
    permissions: (options) => s3Permissions(options.config),
    async setup(options): Promise<S3Bucket> {
      const sdk = await loadS3Sdk();
      const client = await s3Client(options.config);
      const own = options.bucket === undefined;
      // Made ahead by the reaper: no CreateBucket on the test's path.
      const made = await options.ahead?.take();
      // The run's lease (the first time: at once when made ahead, the
      // reaper made it before the bucket), or said on stderr it is not held.
      const leased = s3LeaseWait(options.config, options.bucket); // lease
      if (leased) await leased;
      if (made !== undefined) {
        return handle(options, client, made.resource.bucket, "", made.id);
      }
      const id = uniqueName(options.prefix, "-");
      const name = own ? id : options.bucket!;
      const keyPrefix = own ? "" : `${id}/`;
      // --- reaper: register before create
      const reaped = await register(bucketResource(options, name, keyPrefix));
      // --- end reaper
      try {
        if (own) {
          await client.send(new sdk.CreateBucketCommand({ Bucket: name }));
        } else {
          await client.send(new sdk.HeadBucketCommand({ Bucket: name }));
        }
      } catch (error) {
        client.destroy();
        // Refused, or answered with an error: nothing was made, nothing for
        // the reaper to remove. (No answer at all: it may exist; kept.)
        if (reaped !== undefined && nothingMade(error)) await forget(reaped);
        const what = own
          ? `create bucket "${name}"`
          : `use shared bucket "${name}"`;
        throw new Error(
          `Cannot ${what} at ${options.config.endpoint.origin}: ${
            (error as Error).name
          }: ${describe(error)}`,
          { cause: error },
        );
      }
      return handle(options, client, name, keyPrefix, reaped);
    },
  });

/** The bucket for the reaper: what it removes (and creates, ahead). */
function bucketResource(
  options: Prepared,
  bucket: string,
  keyPrefix: string,
): ReapedBucket {
  return {
    remover: REMOVER,
    what: keyPrefix === ""
      ? `bucket ${bucket}`
      : `prefix ${bucket}/${keyPrefix}`,
    // As it travels to the reaper (JSON): the endpoint a string.
    config: { ...options.config, endpoint: options.config.endpoint.href },
    bucket,
    keyPrefix,
  };
}

/** The fixture's handle on a bucket (or prefix) that exists. */
function handle(
  options: Prepared,
  client: S3ClientLike,
  name: string,
  keyPrefix: string,
  reaped: number | undefined,
): S3Bucket {
  const own = keyPrefix === "";
  return {
    client,
    name,
    keyPrefix,
    // Printed (console.log, Deno.inspect) with the secret key masked; the
    // client prints no credentials.
    config: maskFields({ ...options.config }, ["secretAccessKey"]),
    key: (path: string) => keyPrefix + path.replace(/^\/+/, ""),
    ...disposeOnce(async () => {
      // --- reaper: hand off instead of remove (declared: nobody waits)
      if (reaped !== undefined && options.declared && await handOff(reaped)) {
        client.destroy();
        return;
      }
      // --- end reaper
      try {
        // An own bucket is usually empty by now (or holds only open
        // uploads, which go with it): one request, then the full pass
        // only when the store says it is not empty.
        if (own && await deleteIfEmpty(client, name)) return;
        await emptyBucket(
          client,
          name,
          keyPrefix,
          options.config.endpoint.href,
        );
        if (own) {
          const sdk = await loadS3Sdk();
          await client.send(new sdk.DeleteBucketCommand({ Bucket: name }));
        }
      } finally {
        client.destroy();
      }
      if (reaped !== undefined) await forget(reaped);
    }),
  };
}

/** Whether a failed request surely made nothing: refused, or answered. */
function nothingMade(error: unknown): boolean {
  const e = error as {
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  return e?.code === "ECONNREFUSED" ||
    e?.$metadata?.httpStatusCode !== undefined;
}

/** Deletes `bucket`; false when the store answers that it is not empty. */
async function deleteIfEmpty(
  client: S3ClientLike,
  bucket: string,
): Promise<boolean> {
  const sdk = await loadS3Sdk();
  try {
    await client.send(new sdk.DeleteBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if ((error as Error).name === "BucketNotEmpty") return false;
    throw error;
  }
}

function validBucketName(name: string): boolean {
  return typeof name === "string" &&
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !/\.\.|^\d+\.\d+\.\d+\.\d+$/.test(name);
}
