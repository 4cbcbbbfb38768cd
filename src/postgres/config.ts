/**
 * PostgreSQL connection settings from the environment (`DATABASE_URL`, else
 * libpq's `PG*` variables), and postgres.js options that read nothing else.
 *
 * @module
 */

import { maskFields } from "../util/masked_inspect.ts";
import { readEnv } from "../util/env.ts";
import { maskUrl } from "../util/text.ts";
import { TOOLKIT_DRIVER_ENV } from "./_drivers.ts";
import { POSTGRES_ENV_VARS, POSTGRES_SSL_MODES } from "./_config_env.ts";

/**
 * How the connection uses SSL/TLS, as libpq's `sslmode`:
 *
 * - `"disable"`: plain text.
 * - `"prefer"` (libpq's default): TLS when the server offers it, else plain
 *   text; the certificate is not checked.
 * - `"require"`: TLS or no connection; the certificate is not checked
 *   (unless `sslrootcert` is given: then as `"verify-ca"`, as libpq does).
 * - `"verify-ca"`: TLS, with a certificate signed by `sslrootcert`.
 * - `"verify-full"`: as `"verify-ca"`, and the certificate is for the host
 *   connected to.
 */
export type PostgresSslMode =
  | "disable"
  | "prefer"
  | "require"
  | "verify-ca"
  | "verify-full";

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
  /**
   * How the connection uses TLS (see {@linkcode PostgresSslMode}).
   *
   * @default {"prefer"}
   */
  sslmode?: PostgresSslMode;
  /**
   * The certificates (a PEM file) that sign the server's certificate, for
   * `"verify-ca"` and `"verify-full"`; `"system"` for Deno's trusted roots.
   *
   * @default {undefined} (none: `"verify-ca"` and `"verify-full"` need it)
   */
  sslrootcert?: string;
}

/** The variables read even when `DATABASE_URL` is set (for what it leaves out). */
const URL_FALLBACK_VARS = ["PGSSLMODE", "PGSSLROOTCERT"] as const;

/**
 * The environment variables postgres.js 4 reads by itself even with every
 * option given explicitly (listed, with where it reads them, in
 * _drivers.ts). A database fixture's test is granted exactly these, besides
 * the network to its server.
 */
const POSTGRES_JS_ENV_READS: readonly string[] = TOOLKIT_DRIVER_ENV;

/**
 * Reads PostgreSQL settings: `DATABASE_URL`
 * (`postgres://user:password@host:port/database?sslmode=require`) when set,
 * else libpq's variables with libpq's defaults: `PGHOST` (`localhost`;
 * libpq's own default is a Unix socket), `PGPORT` (`5432`), `PGUSER` (the OS
 * user), `PGPASSWORD` (none), `PGDATABASE` (the user's name). TLS, as in
 * libpq: `sslmode` and `sslrootcert` from the URL's parameters, else
 * `PGSSLMODE` and `PGSSLROOTCERT` (also with `DATABASE_URL`); `sslmode`
 * defaults to `prefer`, and to `verify-full` with `sslrootcert=system`.
 * Variables the process may not read count as unset.
 *
 * In the URL, a user, password or database name with `/`, `?`, `#` or `%`
 * in it must be percent-encoded (`%2F`, `%3F`, `%23`, `%25`); `@` and `:` in
 * a password may be written as they are.
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
 * const config = postgresConfig({ DATABASE_URL: "postgres://app:secret@127.0.0.1:5432/app?sslmode=require" });
 * console.log(config.host, config.port, config.database, config.sslmode); // 127.0.0.1 5432 app require
 * ```
 */
export function postgresConfig(
  env: Record<string, string | undefined> = processEnv(),
): PostgresConfig {
  const url = env.DATABASE_URL;
  // Printed (console.log, Deno.inspect) with the password masked.
  if (url !== undefined && url !== "") {
    return maskFields(fromUrl(url, env), ["password"]);
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
    ...tls(undefined, env),
  }, ["password"]);
}

/** Configurations parsed from a URL, by URL and TLS variables (~10 µs each). */
const parsed = new Map<string, PostgresConfig>();

function fromUrl(
  raw: string,
  env: Record<string, string | undefined>,
): PostgresConfig {
  const key = [raw, ...URL_FALLBACK_VARS.map((name) => env[name] ?? "")]
    .join("\n");
  let config = parsed.get(key);
  if (config === undefined) {
    config = parseUrl(raw, env);
    parsed.set(key, config);
  }
  return { ...config };
}

const EXPECTED_URL = "postgres://user:password@host:port/database";
const SSL_MODES_TEXT = "disable, prefer, require, verify-ca or verify-full";
/** libpq's TLS parameters that are not supported (client certificates, CRLs). */
const UNSUPPORTED_TLS = [
  "sslcert",
  "sslkey",
  "sslpassword",
  "sslcrl",
  "sslcrldir",
];

/**
 * Parses a connection URL as libpq does (parameters `host`, `port`, `user`,
 * `password` and `dbname` win over the URL's parts), with each rejection
 * spelled out. No message quotes the password: each quotes the URL through
 * `maskUrl`.
 */
function parseUrl(
  raw: string,
  env: Record<string, string | undefined>,
): PostgresConfig {
  const fail = (why: string, expected = EXPECTED_URL): never => {
    throw new TypeError(
      `Cannot configure PostgreSQL: DATABASE_URL ${
        JSON.stringify(maskUrl(raw))
      } ${why} (expected ${expected})`,
    );
  };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  if (!scheme) return fail("is not a URL");
  if (!/^postgres(ql)?$/i.test(scheme[1]!)) {
    return fail(`has scheme "${scheme[1]!.toLowerCase()}:"`);
  }
  const rest = raw.slice(scheme[0].length);
  // The authority ends at the first "/", "?" or "#" (RFC 3986); the user
  // and password are what comes before its last "@" (a password's "@" may
  // be left as it is, as WHATWG URLs and postgres.js read it; libpq takes
  // the first).
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const after = end === -1 ? "" : rest.slice(end);
  const at = authority.lastIndexOf("@");
  const userinfo = at === -1 ? "" : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  const server = /^(\[[^\]]*\]|[^:[\]]*)(?::(.*))?$/.exec(hostPort);
  const portText = server?.[2];
  if (!server || (portText !== undefined && !/^\d*$/.test(portText))) {
    // `postgres://app:Qz/Wm5@host/db`: the "/" cut the authority short.
    if (at === -1 && end !== -1 && after.includes("@")) {
      const char = after[0]!;
      const part = authority.includes(":") ? "password" : "user name";
      return fail(
        `has a "${char}" in its ${part} that is not percent-encoded`,
        `${EXPECTED_URL}, with "${char}" written as ${percent(char)}`,
      );
    }
    // The port is not quoted: with no "@", a password would be read as one.
    return fail(
      server ? "has a port that is not a number" : "has an invalid host",
      `${EXPECTED_URL}, with a port from 1 to 65535`,
    );
  }
  if (after.includes("#")) {
    return fail(
      'has a "#" (a fragment, or a "#" in its password that is not percent-encoded)',
      `${EXPECTED_URL}, with "#" written as %23`,
    );
  }
  const query = after.indexOf("?");
  const databaseText = (query === -1 ? after : after.slice(0, query))
    .replace(/^\//, "");
  if (/[/@]/.test(databaseText)) {
    return fail(
      'has a "/" or "@" in its database name, or a "/" in its password, that is not percent-encoded',
      `${EXPECTED_URL}, with "/" written as %2F and "@" as %40`,
    );
  }
  const params = new Map<string, string>();
  for (const pair of query === -1 ? [] : after.slice(query + 1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq === -1) {
      return fail(
        'has a parameter without "=" (or a "?" in its password that is not percent-encoded)',
        `${EXPECTED_URL}?name=value, with "?" written as %3F`,
      );
    }
    params.set(
      decode(pair.slice(0, eq), "parameters", fail),
      decode(pair.slice(eq + 1), "parameters", fail),
    );
  }
  const colon = userinfo.indexOf(":");
  const user = params.get("user") ??
    decode(colon === -1 ? userinfo : userinfo.slice(0, colon), "user", fail);
  const password = params.get("password") ??
    (colon === -1 ? "" : decode(userinfo.slice(colon + 1), "password", fail));
  const host = params.get("host") ||
    decode(server[1]!.replace(/^\[(.*)\]$/, "$1"), "host", fail);
  const portValue = params.get("port") || portText || "5432";
  const port = Number(portValue);
  if (!/^\d+$/.test(portValue) || port < 1 || port > 65535) {
    // Quoted only when a number: text there may be a misplaced password.
    return fail(
      /^\d+$/.test(portValue)
        ? `has port ${portValue}`
        : "has a port that is not a number",
      `${EXPECTED_URL}, with a port from 1 to 65535`,
    );
  }
  const database = params.get("dbname") ??
    decode(databaseText, "database name", fail);
  // libpq reads a host starting with "/" as a Unix socket directory; Deno
  // reaches PostgreSQL over TCP only.
  if (host.startsWith("/")) {
    fail(
      `names the Unix socket directory ${
        JSON.stringify(host)
      } as its host; Deno tests reach PostgreSQL over TCP only`,
    );
  }
  if (host.includes(",")) {
    fail("names several hosts", `${EXPECTED_URL}, with one host`);
  }
  if (host === "") fail("has no host");
  if (user === "") fail("has no user");
  const unsupported = UNSUPPORTED_TLS.find((name) => params.has(name));
  if (unsupported !== undefined) {
    fail(
      `has ${unsupported}, which itkit does not support (no client certificates or revocation lists)`,
      "TLS parameters sslmode and sslrootcert only",
    );
  }
  return {
    host,
    port,
    user,
    password,
    database: database || user,
    ...tls(params, env, fail),
  };
}

/** Where a TLS setting came from, for its error. */
interface TlsSource {
  /** The value, if set. */
  value: string | undefined;
  /** `DATABASE_URL`'s parameter, or the variable. */
  from: "DATABASE_URL" | "PGSSLMODE" | "PGSSLROOTCERT";
}

/**
 * The TLS settings: from the URL's parameters when given, else `PGSSLMODE`
 * and `PGSSLROOTCERT`; validated as libpq does. `failUrl` reports a problem
 * of the URL (quoting it masked), the others name the variable.
 */
function tls(
  params: Map<string, string> | undefined,
  env: Record<string, string | undefined>,
  failUrl?: (why: string, expected: string) => never,
): Pick<PostgresConfig, "sslmode" | "sslrootcert"> {
  const pick = (
    name: "sslmode" | "sslrootcert",
    variable: "PGSSLMODE" | "PGSSLROOTCERT",
  ): TlsSource =>
    params?.get(name)
      ? { value: params.get(name), from: "DATABASE_URL" }
      : { value: env[variable] || undefined, from: variable };
  const mode = pick("sslmode", "PGSSLMODE");
  const root = pick("sslrootcert", "PGSSLROOTCERT");
  // `has sslmode "x"` in the URL, `PGSSLMODE "x"` as a variable.
  const fail = (source: TlsSource, why: string, expected: string): never => {
    const name = source === mode ? "sslmode" : "sslrootcert";
    if (source.from === "DATABASE_URL" && failUrl) {
      return failUrl(
        `has ${name} ${JSON.stringify(source.value)}${why}`,
        expected,
      );
    }
    throw new TypeError(
      `Cannot configure PostgreSQL: ${source.from} ${
        JSON.stringify(source.value)
      }${why} (expected ${expected})`,
    );
  };
  if (
    mode.value !== undefined &&
    !POSTGRES_SSL_MODES.includes(mode.value)
  ) {
    fail(
      mode,
      mode.value === "allow"
        ? ", which itkit does not support (it cannot fall back from plain text to TLS)"
        : mode.from === "DATABASE_URL"
        ? ""
        : " is not an sslmode",
      `sslmode ${SSL_MODES_TEXT}`,
    );
  }
  let sslmode = mode.value as PostgresSslMode | undefined;
  const sslrootcert = root.value;
  if (sslrootcert === "system") {
    // As libpq 16: the system's roots imply, and need, verify-full (any
    // certificate for any host signed by a public CA would pass otherwise).
    sslmode ??= "verify-full";
    if (sslmode !== "verify-full") {
      fail(
        mode,
        ` with sslrootcert=system${
          root.from === "DATABASE_URL" ? "" : ` (${root.from})`
        }, which checks certificates against Deno's trusted roots`,
        "sslmode verify-full with sslrootcert=system",
      );
    }
  }
  if (
    (sslmode === "verify-ca" || sslmode === "verify-full") &&
    sslrootcert === undefined
  ) {
    fail(
      mode,
      " but no sslrootcert to check the server's certificate with",
      "sslrootcert=/path/to/root.crt in DATABASE_URL or PGSSLROOTCERT, or sslrootcert=system for Deno's trusted roots; libpq's default ~/.postgresql/root.crt is not read",
    );
  }
  return {
    ...(sslmode === undefined ? {} : { sslmode }),
    ...(sslrootcert === undefined ? {} : { sslrootcert }),
  };
}

/** Percent-decodes a part of the URL; a bad escape is one clear error. */
function decode(
  text: string,
  what: string,
  fail: (why: string, expected?: string) => never,
): string {
  if (!text.includes("%")) return text;
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // A user, host or database name is quoted to help find the escape; a
    // password (or a parameter, which may be one) never is.
    const quoted = what === "password" || what === "parameters"
      ? ""
      : ` ${JSON.stringify(text)}`;
    return fail(
      `has an invalid percent-encoding in its ${what}${quoted}`,
      `"%" followed by two hex digits, together UTF-8 (e.g. %C3%A9 for "é"), and "%" itself written as %25`,
    );
  }
  if (decoded.includes("\0")) {
    return fail(`has %00 in its ${what}`, `no NUL character`);
  }
  return decoded;
}

function percent(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
}

/**
 * `config` as a URL, with the password masked unless `reveal` is set. A TLS
 * setting is kept as a parameter (`?sslmode=require`), so that code given
 * the URL connects as the toolkit does.
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
 * console.log(postgresUrl({ host: "db", port: 5432, user: "app", password: "s", database: "app", sslmode: "require" }));
 * // postgres://app:***@db:5432/app?sslmode=require
 * ```
 */
export function postgresUrl(config: PostgresConfig, reveal = false): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const password = config.password === ""
    ? ""
    : `:${reveal ? encodeURIComponent(config.password) : "***"}`;
  const params = [
    config.sslmode === undefined ? "" : `sslmode=${config.sslmode}`,
    config.sslrootcert === undefined
      ? ""
      : `sslrootcert=${
        encodeURIComponent(config.sslrootcert).replace(/%2F/g, "/")
      }`,
  ].filter((p) => p !== "").join("&");
  return `postgres://${
    encodeURIComponent(config.user)
  }${password}@${host}:${config.port}/${encodeURIComponent(config.database)}${
    params === "" ? "" : `?${params}`
  }`;
}

/**
 * The permissions a test needs to reach `config` with postgres.js: the
 * network to the server, the variables postgres.js reads, and reading the
 * `sslrootcert` file when there is one.
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
  const rootCert = config.sslrootcert;
  return {
    net: [`${host}:${config.port}`],
    env: [...POSTGRES_JS_ENV_READS],
    ...(rootCert === undefined || rootCert === "system"
      ? {}
      : { read: [rootCert] }),
  };
}

function processEnv(): Record<string, string | undefined> {
  // DATABASE_URL, when set, is all postgresConfig() reads besides the TLS
  // variables it falls back to: three lookups (a module declaring 200 tests
  // reads them 200 times at load).
  const url = readEnv("DATABASE_URL");
  if (url !== undefined && url !== "") {
    const env: Record<string, string | undefined> = { DATABASE_URL: url };
    for (const name of URL_FALLBACK_VARS) env[name] = readEnv(name);
    return env;
  }
  const env: Record<string, string | undefined> = {};
  for (const name of POSTGRES_ENV_VARS) env[name] = readEnv(name);
  return env;
}
