// Internal: the errors a database fixture reports for a server it cannot use.

import { type PostgresConfig, postgresUrl } from "./config.ts";
import { describe } from "../util/text.ts";
import { tlsReason } from "./_tls.ts";

/** A failure to create a database, with the fix for a missing CREATEDB. */
export function createDbError(config: PostgresConfig, error: unknown): Error {
  if ((error as { code?: string })?.code === "42501") {
    return new Error(
      `Cannot create a database as user "${config.user}" on ${config.host}:${config.port}: the role lacks the CREATEDB privilege (grant it with ALTER ROLE ${config.user} CREATEDB, or use isolation "truncate" or "schema")`,
      { cause: error },
    );
  }
  return connectError(config, error);
}

/** A failure to use the server, naming it (password masked). */
export function connectError(config: PostgresConfig, error: unknown): Error {
  return new Error(
    `Cannot use PostgreSQL at ${postgresUrl(config)}: ${
      tlsReason(config, error) ?? describe(error)
    }`,
    { cause: error },
  );
}
