/**
 * S3 for integration tests: a bucket fixture (a fresh bucket, or a key prefix
 * in a shared one) emptied and removed on dispose, the connection settings it
 * reads (`S3_*`), a client that reads nothing else, and a probe that ignores
 * the tests with a reason when the store is down.
 *
 * The AWS SDK is loaded on first use only: importing this module loads nothing.
 *
 * @example
 * ```ts ignore
 * import { integration } from "./mod.ts";
 * import { probeS3, s3Bucket } from "./s3.ts";
 *
 * const s3 = await probeS3();
 *
 * integration("uploads a report", {
 *   requires: [s3],
 *   fixtures: { bucket: s3Bucket.fixture() },
 * }, async (_t, { bucket }) => {
 *   console.log(bucket.name);
 * });
 * ```
 *
 * @module
 */

export {
  type S3Bucket,
  s3Bucket,
  type S3BucketOptions,
} from "./src/s3/bucket.ts";
export { type S3Config, s3Config, s3Permissions } from "./src/s3/config.ts";
export {
  s3Client,
  type S3ClientLike,
  type S3Command,
} from "./src/s3/client.ts";
export { probeS3 } from "./src/s3/probe.ts";
export { s3ClientPermissions } from "./src/s3/client_permissions.ts";
