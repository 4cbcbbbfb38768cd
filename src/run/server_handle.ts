/**
 * The one shape of every server the toolkit launches (PostgreSQL, PGlite,
 * s3rver): where it came from, how to connect, what to export, and how to
 * stop it; and where each service a run used came from.
 *
 * @module
 */

/** Where a service used by the run came from. */
export type ServiceOrigin =
  | "configured"
  | "native"
  | "pglite"
  | "s3rver"
  | "rgw"
  | "launched";

/** A running server started by the toolkit; `await using` stops it. */
export interface ServerHandle<Config, Origin extends string>
  extends AsyncDisposable {
  /** Where it came from (`native`, `pglite`, `s3rver`). */
  readonly origin: Origin;
  /** How to connect. */
  readonly config: Config;
  /** The variables that point a test run at it (`DATABASE_URL`, `S3_*`). */
  readonly env: Readonly<Record<string, string>>;
  /** Stops it and removes its files. Idempotent. */
  close(): Promise<void>;
}
