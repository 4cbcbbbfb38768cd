// Internal: postgres.js, loaded on first use only (importing the module never
// loads it), and options that read nothing from the environment.

import type postgres from "npm:postgres@^3.4.9";

let factory: Promise<typeof postgres> | undefined;

/** postgres.js's factory, loaded once. */
export function loadPostgres(): Promise<typeof postgres> {
  return factory ??= import("npm:postgres@^3.4.9").then((m) => m.default);
}
import type { PostgresConfig } from "./config.ts";
import { sslOption } from "./_tls.ts";
import { connectingSocket } from "./_socket.ts";

/**
 * postgres.js options for `config`, every environment-derived setting
 * explicit: TLS from its sslmode, and a socket that names the server in
 * postgres.js's errors and can be cut off (`extra.socket` replaces it).
 */
export function postgresOptions(
  config: PostgresConfig,
  extra: postgres.Options<Record<string, postgres.PostgresType>> = {},
): postgres.Options<Record<string, postgres.PostgresType>> {
  const password = config.password;
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    database: config.database,
    // A function, so that an empty password does not fall back to PGPASSWORD.
    pass: () => password,
    max: 4,
    ssl: sslOption(config),
    socket: () => connectingSocket(config),
    idle_timeout: 0,
    connect_timeout: 10,
    max_lifetime: null,
    max_pipeline: 100,
    backoff: false as unknown as number,
    keep_alive: 60,
    prepare: true,
    debug: false,
    fetch_types: true,
    publications: "alltables",
    target_session_attrs: undefined,
    onnotice: () => {},
    ...extra,
    connection: { application_name: "itkit", ...extra.connection },
    ...{ sslnegotiation: null },
  } as postgres.Options<Record<string, postgres.PostgresType>>;
}
