// Internal: how the reaper (src/run/_reaper_main.ts) removes a schema or a
// database. One small admin pool per server and database, kept for the
// reaper's life.

import type postgres from "postgres";
import type { ReapedResource } from "../run/reaper.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";

/** A schema or a database as registered with the reaper. */
export interface ReapedSql extends ReapedResource {
  /** The server; `config.database` holds a schema. */
  config: PostgresConfig;
  /** A schema in `config.database`, dropped with `CASCADE`. */
  schema?: string;
  /** A database, dropped `WITH (FORCE)`. */
  database?: string;
}

const admins = new Map<string, Promise<postgres.Sql>>();

function admin(config: PostgresConfig): Promise<postgres.Sql> {
  const key = `${config.user}@${config.host}:${config.port}/${config.database}`;
  let sql = admins.get(key);
  if (!sql) {
    sql = loadPostgres().then((factory) =>
      factory(postgresOptions(config, { max: 2 }))
    );
    admins.set(key, sql);
  }
  return sql;
}

/**
 * Drops the schema (or the database); one that was never created is no
 * failure.
 *
 * @param resource The registered schema or database.
 */
export async function reap(resource: ReapedResource): Promise<void> {
  const { config, schema, database } = resource as ReapedSql;
  const sql = await admin(config);
  if (schema !== undefined) {
    await sql`drop schema if exists ${sql(schema)} cascade`;
  }
  if (database !== undefined) {
    await sql`drop database if exists ${sql(database)} with (force)`;
  }
}
