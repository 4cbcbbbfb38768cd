/**
 * The permissions a PostgreSQL driver needs when the code under test builds
 * its own client: postgres.js 4 and 3 (`postgres(url)`, `postgres({ … })`,
 * `postgres()`) and node-postgres 8 (`new pg.Pool(…)`, `new pg.Client(…)`).
 * Each is read from that driver version's source (the variables, `sys` calls
 * and files it reads by itself) and checked with Deno's permission audit log.
 *
 * @module
 */

import { mergePermissions } from "../core/permissions.ts";
import { registerPresetHints } from "../core/not_capable.ts";
import { readEnv } from "../util/env.ts";
import { type DriverReads, DRIVERS, pgpassFile } from "./_drivers.ts";
import { driverPresetHints } from "./_preset_hint.ts";

// A test that fails with NotCapable on what a driver read names the preset
// that grants it (core/not_capable.ts).
registerPresetHints(driverPresetHints({
  "postgres.js@4": () => postgresClientPermissions(),
  "postgres.js@3": () => postgresClientPermissions({}, { version: 3 }),
  "pg@8": () => pgClientPermissions(),
}));

/** Options of {@linkcode postgresClientPermissions}. */
export interface PostgresClientPermissionsOptions {
  /**
   * The postgres.js major version the code under test uses. 4 also covers
   * 3.x, which reads a subset of what 4.x reads; 3 grants exactly what 3.x
   * reads.
   *
   * @default {4}
   */
  version?: 3 | 4;
}

/**
 * The postgres.js preset: everything postgres.js reads by itself, for a test
 * whose code under test opens its own pool. Merge it into the test's
 * `permissions`; the network to the server comes from the database fixture
 * (or add `net` yourself).
 *
 * postgres.js 4 (the default): `env` for the 24 option variables 4.2 reads
 * for every pool, even for options given (`PGMAX`, `PGMIN`, `PGSSLMODE`,
 * `PGSSL`, `PGQUERY_TIMEOUT`, `PGINFER`, …), `PGAPPNAME`,
 * `PGTARGETSESSIONATTRS`, `PGCHANNELBINDING`, `PGREQUIREAUTH`, the password
 * file's `PGPASSFILE`, the connection variables it falls back to
 * (`PGHOST`, `PGPORT`, `PGUSERNAME`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`,
 * `USERNAME`, `USER`, `LOGNAME`); `sys` `uid`, `gid`, `userInfo` (the OS
 * user, its last fallback for the user name) and `homedir`; `read` of the
 * password file (`PGPASSFILE`, else `~/.pgpass`) when there is one this
 * process may read.
 *
 * postgres.js 3 (`{ version: 3 }`): `env` for the 14 option variables it
 * reads for options not given (`PGMAX`, `PGSSL`, `PGIDLE_TIMEOUT`, …),
 * `PGAPPNAME`, `PGTARGETSESSIONATTRS` and the same connection variables;
 * `sys` `uid`, `gid`, `userInfo`.
 *
 * @param extra More permissions for the same test, merged with the preset by
 *   the rules of a test's `permissions` (lists are joined).
 * @param options Which postgres.js major version.
 * @returns The merged declaration, for `integration()`'s `permissions`.
 *
 * @example A test whose code under test opens its own postgres.js pool
 * ```ts
 * import { postgresClientPermissions } from "../../postgres.ts";
 *
 * // integration("…", { fixtures: { db: postgresDatabase.fixture() }, permissions }, fn)
 * const permissions = postgresClientPermissions({ env: ["APP_MODE"] });
 * console.log(permissions); // { env: ["PGHOST", …, "APP_MODE"], sys: ["uid", "gid", "userInfo", "homedir"] }
 *
 * // The same for an app still on postgres.js 3.4.
 * const v3 = postgresClientPermissions({}, { version: 3 });
 * ```
 */
export function postgresClientPermissions(
  extra: Deno.PermissionOptions = "none",
  options: PostgresClientPermissionsOptions = {},
): Deno.PermissionOptions {
  const version = options.version ?? 4;
  if (version !== 3 && version !== 4) {
    throw new TypeError(
      `Cannot build postgresClientPermissions(): version ${
        JSON.stringify(version)
      } is not a postgres.js major version with a preset (expected 3 or 4)`,
    );
  }
  return preset(DRIVERS[`postgres.js@${version}`], extra);
}

/**
 * The node-postgres (`pg` 8) preset: everything `pg` reads by itself, for a
 * test whose code under test opens its own `pg.Pool` or `pg.Client`. Merge
 * it into the test's `permissions`; the network to the server comes from the
 * database fixture.
 *
 * It grants `env` for what `pg` reads at import (`USER`,
 * `NODE_PG_FORCE_NATIVE`), for every client unless its config gives them
 * (`PGBINARY`, `PGOPTIONS`, `PGSSLMODE`, `PGSSLNEGOTIATION`,
 * `PGCLIENT_ENCODING`, `PGREPLICATION`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`),
 * the connection variables it falls back to (`PGUSER`, `PGDATABASE`,
 * `PGPORT`, `PGHOST`, `PGPASSWORD`), and what its password file lookup reads
 * when the server asks for a password and none was given (`PGPASSFILE`,
 * `HOME`, `PGPASS_NO_DEESCAPE`, and `read` of the file when there is one
 * this process may read).
 *
 * @param extra More permissions for the same test, merged with the preset.
 * @returns The merged declaration, for `integration()`'s `permissions`.
 *
 * @example A test whose code under test opens its own pg pool
 * ```ts
 * import { pgClientPermissions } from "../../postgres.ts";
 *
 * // integration("…", { fixtures: { db: postgresDatabase.fixture() }, permissions }, fn)
 * const permissions = pgClientPermissions({ env: ["APP_MODE"] });
 * console.log(permissions); // { env: ["USER", …, "APP_MODE"] }
 * ```
 */
export function pgClientPermissions(
  extra: Deno.PermissionOptions = "none",
): Deno.PermissionOptions {
  return preset(DRIVERS["pg@8"], extra);
}

function preset(
  driver: DriverReads,
  extra: Deno.PermissionOptions,
): Deno.PermissionOptions {
  const file = driver.pgpass ? existingPgpass() : undefined;
  return mergePermissions([
    {
      env: [...driver.env],
      ...(driver.sys.length ? { sys: [...driver.sys] } : {}),
      ...(file === undefined ? {} : { read: [file] }),
    },
    extra,
  ]);
}

/**
 * The password file (`PGPASSFILE`, else `~/.pgpass`) when there is one that
 * this process may read: granting a test more than its process has fails the
 * test, and a driver that finds no file (or may not read it) goes on without.
 */
function existingPgpass(): string | undefined {
  const file = pgpassFile(readEnv);
  if (file === undefined) return undefined;
  // Queried first: a stat without the permission would prompt.
  const { state } = Deno.permissions.querySync({ name: "read", path: file });
  if (state !== "granted") return undefined;
  try {
    return Deno.statSync(file).isFile ? file : undefined;
  } catch {
    return undefined; // absent, or not ours to read
  }
}
