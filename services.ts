/**
 * Local services for a test run, and what cleans up after it: throwaway
 * PostgreSQL (native binaries or embedded PGlite) and s3rver (or a Ceph
 * RADOS Gateway) on loopback, and the services you defined (Redis among
 * them), provisioning that prefers what the environment configures, the
 * sweep that removes what crashed runs left, and the leftover check.
 *
 * @example
 * ```ts
 * import { startS3rver } from "./services.ts";
 *
 * await using s3 = await startS3rver();
 * console.log(s3.env.S3_ENDPOINT); // http://127.0.0.1:...
 * ```
 *
 * @module
 */

export type { ServerHandle, ServiceOrigin } from "./src/run/server_handle.ts";
export {
  type LocalServices,
  localServices,
  type LocalServicesOptions,
} from "./src/services/local_services.ts";
export {
  type ProvisionedService,
  type ProvisionedServices,
  type ProvisionOptions,
  provisionServices,
  type ServiceLike,
} from "./src/services/provision.ts";
export { listServiceLeftovers } from "./src/service/sweep.ts";
export {
  type PostgresServer,
  type PostgresServerOptions,
  startPostgresServer,
} from "./src/postgres/server.ts";
export {
  type PgliteOptions,
  type PgliteServer,
  startPglite,
} from "./src/postgres/pglite_server.ts";
export {
  type S3rverOptions,
  type S3rverServer,
  startS3rver,
} from "./src/s3/s3rver_server.ts";
export {
  type RgwServer,
  type RgwServerOptions,
  startRgw,
} from "./src/s3/rgw_server.ts";
export {
  sweep,
  type SweepOptions,
  type SweepReport,
  type SweepStoreReport,
} from "./src/services/sweep.ts";
export {
  type LeftoverOptions,
  listPostgresLeftovers,
} from "./src/postgres/leftovers.ts";
export { listBuckets, type ListBucketsOptions } from "./src/s3/leftovers.ts";
export {
  type AuditedNeeds,
  auditPermissions,
  formatPermissionAudit,
  type PermissionAudit,
  readPermissionAudit,
} from "./src/services/permissions_audit.ts";
export {
  permissionFlags,
  type PortablePermissions,
  portablePermissions,
  processPermissions,
  type ProcessPermissionsOptions,
} from "./src/services/process_permissions.ts";
