/**
 * PostgreSQL connection settings from the environment (`DATABASE_URL`, else
 * libpq's `PG*` variables), and postgres.js options that read nothing else.
 *
 * @module
 */

import { maskUrl } from "../util/text.ts";
import { maskFields } from "../util/masked_inspect.ts";
import { readEnv } from "../util/env.ts";

/** Where and how to reach a PostgreSQL server. */
export interface PostgresConfig {
  /** The host name or address. */
  host: string;
  /** The port. */
  port: number;
  /** The user. */
  user: string;
  /** The password (empty for none). */
  password: string;
  /** The database to connect to. */
  database: string;
}

/** The variables {@linkcode postgresConfig} reads. */
export const POSTGRES_ENV_VARS: readonly string[] = [
  "DATABASE_URL",
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGPASSWORD",
  "PGDATABASE",
  "USER",
  "LOGNAME",
];

/**
 * The environment variables postgres.js reads by itself even with every
 * option given explicitly. A database fixture's test is granted exactly
 * these, besides the network to its server.
 */
export const POSTGRES_JS_ENV_READS: readonly string[] = [
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
];

/**
 * Reads PostgreSQL settings: `DATABASE_URL`
 * (`postgres://user:password@host:port/database`) when set, else libpq's
 * variables with libpq's defaults: `PGHOST` (`localhost`; libpq's own default
 * is a Unix socket), `PGPORT` (`5432`), `PGUSER` (the OS user), `PGPASSWORD`
 * (none), `PGDATABASE` (the user's name). Variables the process may not read
 * count as unset.
 *
 * @param env Where to read from; the process environment by default.
 * @returns The validated settings.
 * @throws {TypeError} Naming the variable, its value (password masked) and
 *   the expected form, when one is malformed.
 *
 * @example
 * ```ts
 * import { postgresConfig } from "../../postgres.ts";
 *
 * const config = postgresConfig({ DATABASE_URL: "postgres://app:secret@127.0.0.1:5432/app" });
 * console.log(config.host, config.port, config.database); // 127.0.0.1 5432 app
 * ```
 */
export function postgresConfig(
  env: Record<string, string | undefined> = processEnv(),
): PostgresConfig {
  const url = env.DATABASE_URL;
  // Printed (console.log, Deno.inspect) with the password masked.
  if (url !== undefined && url !== "") {
    return maskFields(fromUrl(url), ["password"]);
  }
  const portText = env.PGPORT || "5432";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot configure PostgreSQL: PGPORT ${
        JSON.stringify(portText)
      } is not a port (expected a number from 1 to 65535)`,
    );
  }
  const host = env.PGHOST || "localhost";
  if (host.startsWith("/")) {
    throw new TypeError(
      `Cannot configure PostgreSQL: PGHOST ${
        JSON.stringify(host)
      } is a Unix socket directory (expected a host name or address; Deno tests reach PostgreSQL over TCP)`,
    );
  }
  const user = env.PGUSER || env.USER || env.LOGNAME || "postgres";
  return maskFields({
    host,
    port,
    user,
    password: env.PGPASSWORD ?? "",
    database: env.PGDATABASE || user,
  }, ["password"]);
}

/** Configurations parsed from a URL, by URL (parsing costs ~10 µs). */
const parsed = new Map<string, PostgresConfig>();

function fromUrl(raw: string): PostgresConfig {
  let config = parsed.get(raw);
  if (config === undefined) {
    config = parseUrl(raw);
    parsed.set(raw, config);
  }
  return { ...config };
}

function parseUrl(raw: string): PostgresConfig {
  const fail = (why: string): never => {
    throw new TypeError(
      `Cannot configure PostgreSQL: DATABASE_URL ${
        JSON.stringify(maskUrl(raw))
      } ${why} (expected postgres://user:password@host:port/database)`,
    );
  };
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    fail("is not a URL");
  }
  if (!url) return fail("is not a URL");
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    fail(`has scheme "${url.protocol}"`);
  }
  // libpq reads a host starting with "/" (percent-encoded, or in ?host=) as
  // a Unix socket directory; Deno reaches PostgreSQL over TCP only.
  const socketDir = [
    decodeURIComponent(url.hostname),
    url.searchParams.get("host") ?? "",
  ].find((host) => host.startsWith("/"));
  if (socketDir !== undefined) {
    fail(
      `names the Unix socket directory ${
        JSON.stringify(socketDir)
      } as its host; Deno tests reach PostgreSQL over TCP only`,
    );
  }
  if (url.hostname === "") fail("has no host");
  const port = url.port === "" ? 5432 : Number(url.port);
  const user = decodeURIComponent(url.username);
  if (user === "") fail("has no user");
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    user,
    password: decodeURIComponent(url.password),
    database: database || user,
  };
}

/**
 * `config` as a URL, with the password masked unless `reveal` is set.
 *
 * @param config The settings.
 * @param reveal Include the real password.
 * @returns `postgres://user:***@host:port/database`.
 *
 * @example
 * ```ts
 * import { postgresUrl } from "../../postgres.ts";
 *
 * console.log(postgresUrl({ host: "127.0.0.1", port: 5432, user: "app", password: "s", database: "app" }));
 * // postgres://app:***@127.0.0.1:5432/app
 * ```
 */
export function postgresUrl(config: PostgresConfig, reveal = false): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const password = config.password === ""
    ? ""
    : `:${reveal ? encodeURIComponent(config.password) : "***"}`;
  return `postgres://${
    encodeURIComponent(config.user)
  }${password}@${host}:${config.port}/${encodeURIComponent(config.database)}`;
}

/**
 * The permissions a test needs to reach `config` with postgres.js: the
 * network to the server and the variables postgres.js reads.
 *
 * @param config The settings.
 * @returns The permission declaration.
 *
 * @example
 * ```ts
 * import { postgresConfig, postgresPermissions } from "../../postgres.ts";
 *
 * console.log(postgresPermissions(postgresConfig({ PGHOST: "127.0.0.1" })).net); // ["127.0.0.1:5432"]
 * ```
 */
export function postgresPermissions(
  config: PostgresConfig,
): Deno.PermissionOptionsObject {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    net: [`${host}:${config.port}`],
    env: [...POSTGRES_JS_ENV_READS],
  };
}

function processEnv(): Record<string, string | undefined> {
  // DATABASE_URL, when set, is all postgresConfig() reads: one lookup (a
  // module declaring 200 tests reads it 200 times at load).
  const url = readEnv("DATABASE_URL");
  if (url !== undefined && url !== "") return { DATABASE_URL: url };
  const env: Record<string, string | undefined> = {};
  for (const name of POSTGRES_ENV_VARS) env[name] = readEnv(name);
  return env;
}
