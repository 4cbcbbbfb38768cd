/**
 * The permissions the test process itself needs (instead of `-A`) for the
 * configured services: what the toolkit reads, the union its fixtures grant
 * their tests, and the network to the servers. `cli.ts permissions` prints
 * them.
 *
 * @module
 */

import { mergePermissions } from "../core/permissions.ts";
import { readEnv, systemTempDir } from "../util/env.ts";
import { s3Config, s3Permissions } from "../s3/config.ts";
import { S3_ENV_DEFAULTS } from "../s3/_config_env.ts";
import { s3ClientPermissions } from "../s3/client_permissions.ts";
import { postgresConfig, postgresPermissions } from "../postgres/config.ts";
import { POSTGRES_ENV_VARS } from "../postgres/_config_env.ts";
import {
  pgClientPermissions,
  postgresClientPermissions,
} from "../postgres/client_permissions.ts";
import { serviceDefinition } from "../service/registry.ts";
import type { ServiceLike } from "./provision.ts";

/** Options of {@linkcode processPermissions}. */
export interface ProcessPermissionsOptions {
  /**
   * Where the services are configured (`S3_*`, `DATABASE_URL` or `PG*`).
   *
   * @default {the process environment}
   */
  env?: Record<string, string | undefined>;
  /**
   * Also what code under test needs when it builds its own postgres.js or
   * `pg` pool or `S3Client` ({@linkcode postgresClientPermissions},
   * {@linkcode pgClientPermissions}, {@linkcode s3ClientPermissions}): a
   * test never gets more than its process has.
   *
   * @default {false}
   */
  clients?: boolean;
  /**
   * Include `run` of this Deno executable, for the helper processes: the
   * clone helper, which `isolation: "database"` needs and with which
   * `isolation: "truncate"` migrates once per process and resets after each
   * test (without it, each truncate test migrates a fresh schema), and the
   * reaper.
   *
   * @default {false}
   */
  databaseIsolation?: boolean;
  /**
   * Services you defined (`@itkit/core/redis`, `defineService()`): their
   * variable, and what their client needs at the URL it holds.
   *
   * @default {[]}
   */
  services?: ServiceLike[];
}

/** The run-wide variables the toolkit reads (`src/run/settings.ts`). */
const ITKIT_VARS = [
  "ITKIT_ALLOW_PRODUCTION_DATABASE",
  "ITKIT_AUDIT_PERMISSIONS",
  "ITKIT_AUDIT_TOKEN",
  "ITKIT_CACHE_DIR",
  "ITKIT_LEASE_TTL",
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
        // Read with ITKIT_AUDIT_PERMISSIONS: the audit's own is Deno's log.
        "DENO_AUDIT_PERMISSIONS",
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
    options.clients ? pgClientPermissions() : "none",
    options.databaseIsolation ? { run: [Deno.execPath()] } : "none",
    ...(options.services ?? []).map((service) => {
      const def = serviceDefinition(service, "Cannot compute permissions");
      const url = service.url(env);
      return mergePermissions([
        { env: [def.env] },
        url === undefined ? "none" : def.clientPermissions?.(url) ??
          { net: [`${url.hostname}:${url.port || def.defaultPort}`] },
      ]);
    }),
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

/** A permission set to commit, and what was left out of it. */
export interface PortablePermissions {
  /** The set, with nothing that changes from run to run or machine to machine. */
  set: Deno.PermissionOptionsObject;
  /** What was left out, one `kind value` a line, to pass as flags instead. */
  omitted: string[];
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]", "::1"];

/**
 * A permission set made fit to commit (a `deno.json` permission set): a
 * loopback host is granted without its port (local services get a free port
 * each run), the Deno executable is `deno` (found on `PATH`), and a path
 * under `$HOME` (the AWS SDK's `~/.aws` files, with the client presets) is
 * left out and listed in `omitted`.
 *
 * @param set A set from {@linkcode processPermissions}.
 * @param home The home directory whose paths are left out.
 * @returns The portable set and what it left out.
 *
 * @example
 * ```ts
 * import { portablePermissions } from "../../services.ts";
 *
 * const { set } = portablePermissions({ net: ["127.0.0.1:54321", "db.internal:5432"] });
 * console.log(set.net); // ["127.0.0.1", "db.internal:5432"]
 * ```
 */
export function portablePermissions(
  set: Deno.PermissionOptionsObject,
  home: string | undefined = readEnv("HOME"),
): PortablePermissions {
  const omitted: string[] = [];
  const result: Record<string, unknown> = {};
  const underHome = (path: string) =>
    home !== undefined && home !== "" && home !== "/" &&
    (path === home || path.startsWith(`${home.replace(/\/$/, "")}/`));
  for (const [kind, grant] of Object.entries(set)) {
    if (!Array.isArray(grant)) {
      result[kind] = grant;
      continue;
    }
    const values: string[] = [];
    for (const item of grant.map(String)) {
      let value = item;
      if (kind === "net") {
        const host = item.replace(/:\d+$/, "");
        if (LOOPBACK.includes(host)) value = host;
      } else if (kind === "run" && item === Deno.execPath()) {
        value = "deno";
      } else if (underHome(item)) {
        omitted.push(`${kind} ${item}`);
        continue;
      }
      if (!values.includes(value)) values.push(value);
    }
    if (values.length > 0) result[kind] = values;
  }
  return { set: result as Deno.PermissionOptionsObject, omitted };
}
