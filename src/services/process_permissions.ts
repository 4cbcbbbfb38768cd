/**
 * The permissions the test process itself needs (instead of `-A`) for the
 * configured services: what the toolkit reads, the union its fixtures grant
 * their tests, and the network to the servers. `cli.ts permissions` prints
 * them.
 *
 * @module
 */

import { mergePermissions } from "../core/permissions.ts";
import { systemTempDir } from "../util/env.ts";
import { S3_ENV_DEFAULTS, s3Config, s3Permissions } from "../s3/config.ts";
import { s3ClientPermissions } from "../s3/client_permissions.ts";
import {
  POSTGRES_ENV_VARS,
  postgresConfig,
  postgresPermissions,
} from "../postgres/config.ts";
import { postgresClientPermissions } from "../postgres/client_permissions.ts";

/** Options of {@linkcode processPermissions}. */
export interface ProcessPermissionsOptions {
  /**
   * Where the services are configured (`S3_*`, `DATABASE_URL` or `PG*`).
   *
   * @default {the process environment}
   */
  env?: Record<string, string | undefined>;
  /**
   * Also what code under test needs when it builds its own postgres.js pool
   * or `S3Client` ({@linkcode postgresClientPermissions},
   * {@linkcode s3ClientPermissions}): a test never gets more than its
   * process has.
   *
   * @default {false}
   */
  clients?: boolean;
  /**
   * Include `run` of this Deno executable, for the helper process of
   * `isolation: "database"`.
   *
   * @default {false}
   */
  databaseIsolation?: boolean;
}

/** The run-wide variables the toolkit reads (`src/run/settings.ts`). */
const ITKIT_VARS = [
  "ITKIT_ALLOW_PRODUCTION_DATABASE",
  "ITKIT_PROBE_TIMEOUT",
  "ITKIT_REAPER",
  "ITKIT_REAPER_LOG",
  "ITKIT_REQUIRE",
  "ITKIT_SHARD",
  "ITKIT_SUMMARY",
  "ITKIT_SUMMARY_FILE",
  "ITKIT_TIMEOUT",
];

/** What the AWS SDK reads when a test module imports it (at module load). */
const AWS_SDK_IMPORT_VARS = [
  "AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA",
  "AWS_LAMBDA_BENCHMARK_MODE",
];

/**
 * The process-level permissions a suite using the toolkit's fixtures needs
 * for the configured services: `env` for every variable the toolkit and its
 * fixtures read, `net` to the S3 endpoint and the PostgreSQL server,
 * `read`/`write` of the temp dir (for `tmpDir` and local services' files),
 * and, on request, what self-built clients and database isolation need. Add
 * what your own code and probes touch.
 *
 * @param options Where the services are configured, and what to include.
 * @returns A permission set, for `deno.json` `"permissions"` or flags.
 * @throws {TypeError} When a configured variable is malformed (naming it).
 *
 * @example
 * ```ts
 * import { processPermissions } from "../../services.ts";
 *
 * const set = processPermissions({
 *   env: { S3_ENDPOINT: "http://127.0.0.1:9000", DATABASE_URL: "postgres://app@127.0.0.1:5432/app" },
 * });
 * console.log(set.net); // ["127.0.0.1:9000", "127.0.0.1:5432"]
 * ```
 */
export function processPermissions(
  options: ProcessPermissionsOptions = {},
): Deno.PermissionOptionsObject {
  const env = options.env;
  const s3 = env ? s3Config(env) : s3Config();
  const pg = env ? postgresConfig(env) : postgresConfig();
  const temp = systemTempDir();
  const merged = mergePermissions([
    {
      env: [
        ...Object.keys(S3_ENV_DEFAULTS),
        ...POSTGRES_ENV_VARS,
        ...ITKIT_VARS,
        ...AWS_SDK_IMPORT_VARS,
        "TMPDIR",
        "TMP",
        "TEMP",
      ],
      read: [temp],
      write: [temp],
    },
    s3Permissions(s3),
    postgresPermissions(pg),
    options.clients ? s3ClientPermissions() : "none",
    options.clients ? postgresClientPermissions() : "none",
    options.databaseIsolation ? { run: [Deno.execPath()] } : "none",
  ]);
  return merged as Deno.PermissionOptionsObject;
}

/**
 * A permission set as `deno` flags: `--allow-env=A,B --allow-net=…`.
 *
 * @param set The permission set.
 * @returns The flags, one per kind.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "../../services.ts";
 *
 * console.log(permissionFlags({ env: ["A", "B"], net: ["127.0.0.1:9000"] }).join(" "));
 * // --allow-env=A,B --allow-net=127.0.0.1:9000
 * ```
 */
export function permissionFlags(set: Deno.PermissionOptionsObject): string[] {
  const flags: string[] = [];
  for (const [kind, grant] of Object.entries(set)) {
    if (grant === true) flags.push(`--allow-${kind}`);
    else if (Array.isArray(grant) && grant.length > 0) {
      flags.push(`--allow-${kind}=${grant.map(String).join(",")}`);
    }
  }
  return flags;
}
