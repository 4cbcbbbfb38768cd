// Internal: what each PostgreSQL driver version reads by itself (environment
// variables, `sys` calls, files), read from its published source (the npm
// tarball: line numbers below) and checked with Deno's permission audit log
// (`DENO_AUDIT_PERMISSIONS`, a pool opened from a URL, from options and from
// nothing, PostgreSQL 15, Deno 2.9.6). The presets in client_permissions.ts,
// the database fixture's grant (config.ts) and the NotCapable hint are built
// from these lists.

/** A driver major version whose reads are listed here. */
export type DriverId = "postgres.js@3" | "postgres.js@4" | "pg@8";

/** What one driver version reads by itself. */
export interface DriverReads {
  /** Its npm package (`postgres`, `pg`), as it appears in stack traces. */
  readonly npm: string;
  /** The major version. */
  readonly major: number;
  /** Packages it loads that read on its behalf (pg's pgpass). */
  readonly helpers: readonly string[];
  /** Environment variables it may read, whatever the code passes it. */
  readonly env: readonly string[];
  /** `sys` calls (`os.userInfo()` asks for uid, gid and userInfo). */
  readonly sys: readonly string[];
  /** Whether it may read the password file (`PGPASSFILE`, else `~/.pgpass`). */
  readonly pgpass: boolean;
}

/**
 * postgres.js 3.4 (3.4.9, 3.4.10: the same lines), src/index.js, in
 * parseOptions(), when a pool is made:
 * - 438 `PGHOST`, 439 `PGPORT`, 440 `PGUSERNAME`, `PGUSER`, 469
 *   `PGDATABASE`, 471 `PGPASSWORD`: each when neither the options nor the
 *   URL give it;
 * - 476 `"PG" + name` for each option of `defaults` (448-463) not given:
 *   `PGMAX`, `PGSSL`, `PGSSLNEGOTIATION`, `PGIDLE_TIMEOUT`,
 *   `PGCONNECT_TIMEOUT`, `PGMAX_LIFETIME`, `PGMAX_PIPELINE`, `PGBACKOFF`,
 *   `PGKEEP_ALIVE`, `PGPREPARE`, `PGDEBUG`, `PGFETCH_TYPES`,
 *   `PGPUBLICATIONS`, `PGTARGET_SESSION_ATTRS`;
 * - 485 `PGAPPNAME` and 504 `PGTARGETSESSIONATTRS`, always (the first even
 *   with `connection.application_name`, the second unless
 *   `target_session_attrs` is given);
 * - 563 `os.userInfo()` (`sys` uid, gid, userInfo) when no user is given,
 *   and if that throws, 565 `USERNAME`, `USER`, `LOGNAME`.
 * Nothing at import; no file.
 */
const POSTGRES_JS_3: DriverReads = {
  npm: "postgres",
  major: 3,
  helpers: [],
  env: [
    "PGHOST",
    "PGPORT",
    "PGUSERNAME",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
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
    "USERNAME",
    "USER",
    "LOGNAME",
  ],
  sys: ["uid", "gid", "userInfo"],
  pgpass: false,
};

/**
 * The variables postgres.js 4.2 reads for the options of `defaults`
 * (src/index.js 515-539) at line 550, `"PG" + name` (and `PGSSLMODE` first
 * for `ssl`): EVERY one, even when the option is given (4.0 and 4.1 read
 * them only for options not given).
 */
const POSTGRES_JS_4_OPTION_VARS: readonly string[] = [
  "PGMAX",
  "PGMIN",
  "PGSSLMODE",
  "PGSSL",
  "PGSSLNEGOTIATION",
  "PGCHANNEL_BINDING",
  "PGREQUIRE_AUTH",
  "PGIDLE_TIMEOUT",
  "PGCONNECT_TIMEOUT",
  "PGQUEUE_TIMEOUT",
  "PGQUERY_TIMEOUT",
  "PGCANCEL_TIMEOUT",
  "PGMAX_LIFETIME",
  "PGMAX_PIPELINE",
  "PGSCHEDULER",
  "PGBACKOFF",
  "PGKEEP_ALIVE",
  "PGPREPARE",
  "PGDEBUG",
  "PGFETCH_TYPES",
  "PGINFER",
  "PGPUBLICATIONS",
  "PGSLOT",
  "PGTARGET_SESSION_ATTRS",
];

/**
 * postgres.js 4 (4.0.0, 4.1.1, 4.2.0), src/index.js of 4.2.0, in
 * parseOptions(), when a pool is made:
 * - 740 `PGHOST` (unless a host is given or in the URL), 503 `PGPORT`
 *   (unless the options give a port: a port in the URL does not stop it),
 *   504 `PGUSERNAME`, `PGUSER`, 545 `PGDATABASE`, 547 `PGPASSWORD`;
 * - 550 the option variables above;
 * - 565 `PGAPPNAME`, always; 629 `PGTARGETSESSIONATTRS`, 637
 *   `PGCHANNELBINDING` (4.0+), 647 `PGREQUIREAUTH` (4.2): each unless its
 *   option is given; 614 `PGSSLMODE`, `PGSSL` when the URL names
 *   certificate files;
 * - 752 `PGPASSFILE`, else 754 `os.homedir()` (`sys` homedir; 753
 *   `APPDATA` on Windows), always: the password file's path;
 * - 762 `os.userInfo()` (`sys` uid, gid, userInfo) when no user is given,
 *   and if that throws, 764 `USERNAME`, `USER`, `LOGNAME`.
 * src/startup.js 486-490: stats and reads the password file when the server
 * asks for a password and none was given (a denial counts as no file).
 * Nothing at import.
 */
const POSTGRES_JS_4: DriverReads = {
  npm: "postgres",
  major: 4,
  helpers: [],
  env: [
    "PGHOST",
    "PGPORT",
    "PGUSERNAME",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    ...POSTGRES_JS_4_OPTION_VARS,
    "PGAPPNAME",
    "PGTARGETSESSIONATTRS",
    "PGCHANNELBINDING",
    "PGREQUIREAUTH",
    "PGPASSFILE",
    ...(Deno.build.os === "windows" ? ["APPDATA"] : []),
    "USERNAME",
    "USER",
    "LOGNAME",
  ],
  sys: ["uid", "gid", "userInfo", "homedir"],
  pgpass: true,
};

/**
 * node-postgres (`pg`) 8 (8.23.1 with pg-connection-string 2.14, pgpass
 * 1.0.5):
 * - at import: lib/defaults.js 5 `USER` (`USERNAME` on Windows), lib/index.js
 *   41 `NODE_PG_FORCE_NATIVE` (both in a `try`: a denial counts as unset);
 * - for each client the pool connects, lib/connection-parameters.js: 63-79
 *   `PGUSER`, `PGDATABASE`, `PGPORT`, `PGHOST`, `PGPASSWORD` when the config
 *   and its connection string leave them out; always unless given: 82
 *   `PGBINARY`, 83 `PGOPTIONS`, 26 `PGSSLMODE` (no `ssl`), 104
 *   `PGSSLNEGOTIATION`, 114 `PGCLIENT_ENCODING`, 115 `PGREPLICATION`, 119
 *   `PGAPPNAME`, 127 `PGCONNECT_TIMEOUT` (no `connectionTimeoutMillis`);
 * - pgpass, when the server asks for a password and none was given (lib/
 *   client.js 299): lib/helper.js 58-61 `PGPASSFILE`, else `HOME` (`APPDATA`
 *   on Windows), 67 `PGPASSWORD`, 156 `PGPASS_NO_DEESCAPE`; lib/index.js
 *   12-17 stats and reads the file.
 * pg-connection-string reads the `sslcert`/`sslkey`/`sslrootcert` files a
 * URL names (granted by the database fixture for `sslrootcert`).
 */
const PG_8: DriverReads = {
  npm: "pg",
  major: 8,
  helpers: ["pgpass", "pg-connection-string", "pg-pool"],
  env: [
    Deno.build.os === "windows" ? "USERNAME" : "USER",
    "NODE_PG_FORCE_NATIVE",
    "PGUSER",
    "PGDATABASE",
    "PGPORT",
    "PGHOST",
    "PGPASSWORD",
    "PGBINARY",
    "PGOPTIONS",
    "PGSSLMODE",
    "PGSSLNEGOTIATION",
    "PGCLIENT_ENCODING",
    "PGREPLICATION",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
    "PGPASSFILE",
    Deno.build.os === "windows" ? "APPDATA" : "HOME",
    "PGPASS_NO_DEESCAPE",
  ],
  sys: [],
  pgpass: true,
};

/** Every driver version listed, by id. */
export const DRIVERS: Readonly<Record<DriverId, DriverReads>> = {
  "postgres.js@3": POSTGRES_JS_3,
  "postgres.js@4": POSTGRES_JS_4,
  "pg@8": PG_8,
};

/**
 * What the toolkit's own driver (postgres.js 4) reads for a pool made with
 * every option given explicitly (client.ts's postgresOptions): the option
 * variables (4.2 reads each, given or not), `PGAPPNAME`,
 * `PGTARGETSESSIONATTRS`, `PGREQUIREAUTH` (their options are left unset, so
 * the variables keep libpq's meaning) and `PGPASSFILE`. (Its `os.homedir()`
 * is in a `try`: denied, it only means no password file, which the
 * toolkit's password option never consults.)
 */
export const TOOLKIT_DRIVER_ENV: readonly string[] = [
  ...POSTGRES_JS_4_OPTION_VARS,
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  "PGREQUIREAUTH",
  "PGPASSFILE",
];

/**
 * The password file a driver reads (libpq's rule): `PGPASSFILE`, else
 * `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf` on Windows), from `env`;
 * `undefined` when neither is known.
 */
export function pgpassFile(
  env: (name: string) => string | undefined,
): string | undefined {
  const named = env("PGPASSFILE");
  if (named) return named;
  if (Deno.build.os === "windows") {
    const appData = env("APPDATA");
    return appData ? `${appData}\\postgresql\\pgpass.conf` : undefined;
  }
  const home = env("HOME");
  return home ? `${home}/.pgpass` : undefined;
}

/**
 * The driver (and major version, when the path has it) whose code is in
 * `stack`, nearest frame first: `postgres/4.2.0/` in Deno's npm cache,
 * `node_modules/.deno/pg@8.23.1/`, or `node_modules/postgres/`.
 */
export function driverInStack(
  stack: string,
): { npm: string; major?: number } | undefined {
  const known = new Set(
    Object.values(DRIVERS).flatMap((d) => [d.npm, ...d.helpers]),
  );
  const frame =
    /(?:registry\.npmjs\.org\/|node_modules\/\.deno\/|node_modules\/)(@[^/]+\/)?([a-z0-9._-]+)(?:[/@](\d+)\.\d+\.\d+[^/]*)?\//g;
  for (const match of stack.matchAll(frame)) {
    const [, scope, name = "", major] = match;
    if (scope !== undefined || !known.has(name)) continue;
    const driver = Object.values(DRIVERS).find((d) =>
      d.npm === name || d.helpers.includes(name)
    )!;
    // A helper's version is its own, not the driver's.
    if (driver.npm !== name) return { npm: driver.npm };
    return major === undefined
      ? { npm: name }
      : { npm: name, major: Number(major) };
  }
  return undefined;
}
