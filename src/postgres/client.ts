// Internal: postgres.js 4, loaded on first use only (importing the module
// never loads it), and options that give every setting explicitly, so that no
// variable changes the toolkit's connections (postgres.js still reads some:
// see postgresOptions).

import type postgres from "npm:postgres@^4.2.0";
import type { PostgresConfig } from "./config.ts";
import { sslOption } from "./_tls.ts";
import { connectingSocket } from "./_socket.ts";

let factory: Promise<typeof postgres> | undefined;

/** postgres.js's factory, loaded once. */
export function loadPostgres(): Promise<typeof postgres> {
  return factory ??= import("npm:postgres@^4.2.0").then((m) => m.default);
}

/** postgres.js's options, as the toolkit passes them. */
export type PostgresOptions = postgres.Options<
  Record<string, postgres.PostgresType>
>;

/**
 * postgres.js options for `config`, every environment-derived setting
 * explicit: TLS from its sslmode, and a socket that names the server in
 * postgres.js's errors and can be cut off (`extra.socket` replaces it).
 * postgres.js 4.2 still reads a variable for each option (an explicit one
 * wins), `PGAPPNAME`, `PGTARGETSESSIONATTRS`, `PGREQUIREAUTH` and
 * `PGPASSFILE`: the database fixture grants those (config.ts).
 */
export function postgresOptions(
  config: PostgresConfig,
  extra: PostgresOptions = {},
): PostgresOptions {
  const password = config.password;
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    database: config.database,
    // A function, so that an empty password does not fall back to PGPASSWORD
    // or the password file.
    pass: () => password,
    max: 4,
    min: 0,
    ssl: sslOption(config),
    sslnegotiation: "postgres",
    channel_binding: "prefer",
    // A net.Socket: more than postgres.js's SocketLike asks for, typed apart.
    socket: () => connectingSocket(config) as unknown as postgres.SocketLike,
    idle_timeout: 0,
    connect_timeout: 10,
    queue_timeout: 0,
    query_timeout: 0,
    cancel_timeout: 5,
    max_lifetime: null,
    max_pipeline: 100,
    scheduler: true,
    backoff: false,
    keep_alive: 60,
    prepare: true,
    infer: false,
    debug: false,
    fetch_types: true,
    eager_types: false,
    publications: "alltables",
    slot: null,
    target_session_attrs: undefined,
    onnotice: () => {},
    ...extra,
    connection: { application_name: "itkit", ...extra.connection },
  };
}
