/**
 * The permissions postgres.js needs when the code under test builds its own
 * client (`postgres(url)`, `postgres({ host, … })`, `postgres()`), measured
 * with Deno's permission audit log and `--no-prompt` runs.
 *
 * @module
 */

import { mergePermissions } from "../core/permissions.ts";

/**
 * The variables postgres.js reads for every option not given explicitly
 * (`PGMAX`, `PGSSL`, … — `"PG" + option name`), whatever the caller passes.
 */
const OPTION_VARS: readonly string[] = [
  "PGMAX",
  "PGSSL",
  "PGSSLNEGOTIATION",
  "PGIDLE_TIMEOUT",
  "PGCONNECT_TIMEOUT",
  "PGMAX_LIFETIME",
  "PGMAX_PIPELINE",
  "PGBACKOFF",
  "PGKEEP_ALIVE",
  "PGPREPARE",
  "PGDEBUG",
  "PGFETCH_TYPES",
  "PGPUBLICATIONS",
  "PGTARGET_SESSION_ATTRS",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
];

/** The variables postgres.js falls back to for connection settings. */
const CONNECTION_VARS: readonly string[] = [
  "PGHOST",
  "PGPORT",
  "PGUSERNAME",
  "PGUSER",
  "USERNAME",
  "USER",
  "LOGNAME",
  "PGDATABASE",
  "PGPASSWORD",
];

/**
 * The postgres.js preset: everything postgres.js reads by itself, for a test
 * whose code under test creates its own pool. Merge it into the test's
 * `permissions`; the network to the server comes from the database fixture
 * (or add `net` yourself).
 *
 * It grants `env` for the 16 option variables postgres.js reads whatever it
 * is given (`PGMAX`, `PGSSL`, `PGIDLE_TIMEOUT`, … `PGAPPNAME`,
 * `PGTARGETSESSIONATTRS`), the 9 connection variables it falls back to
 * (`PGHOST`, `PGPORT`, `PGUSERNAME`, `PGUSER`, `USERNAME`, `USER`, `LOGNAME`,
 * `PGDATABASE`, `PGPASSWORD`), and `sys` `uid`, `gid`, `userInfo` (the OS
 * user, its last fallback for the user name).
 *
 * @param extra More permissions for the same test, merged with the preset by
 *   the rules of a test's `permissions` (lists are joined).
 * @returns The merged declaration, for `integration()`'s `permissions`.
 *
 * @example A test whose code under test opens its own pool
 * ```ts
 * import { postgresClientPermissions } from "../../postgres.ts";
 *
 * // integration("…", { fixtures: { db: postgresDatabase.fixture() }, permissions }, fn)
 * const permissions = postgresClientPermissions({ env: ["APP_MODE"] });
 * console.log(permissions); // { env: ["PGHOST", …, "APP_MODE"], sys: ["uid", "gid", "userInfo"] }
 * ```
 */
export function postgresClientPermissions(
  extra: Deno.PermissionOptions = "none",
): Deno.PermissionOptions {
  return mergePermissions([
    {
      env: [...CONNECTION_VARS, ...OPTION_VARS],
      sys: ["uid", "gid", "userInfo"],
    },
    extra,
  ]);
}
