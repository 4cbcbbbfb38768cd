// Internal: how the reaper (src/run/_reaper_main.ts) removes a schema this
// process migrated (isolation "transaction" and "schema"): dropped with what
// it holds. One pool per server, kept for the reaper's life.

import type { ReapedResource } from "../run/reaper.ts";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import type { Pg } from "./_shared_pool.ts";

/** A schema as registered with the reaper. */
export interface ReapedSchema extends ReapedResource {
  /** The server and the database that holds the schema. */
  config: PostgresConfig;
  /** The schema. */
  schema: string;
}

const pools = new Map<string, Promise<Pg>>();

/**
 * Drops the schema and everything in it; one that was never created (or was
 * dropped already) is no failure.
 *
 * @param resource The registered schema.
 */
export async function reap(resource: ReapedSchema): Promise<void> {
  const { config, schema } = resource;
  const key = postgresUrl(config, true); // with its TLS settings
  let pool = pools.get(key);
  if (!pool) {
    pool = loadPostgres().then((factory) =>
      factory(postgresOptions(config, { max: 1 })) as unknown as Pg
    );
    pools.set(key, pool);
  }
  const sql = await pool;
  await sql`drop schema if exists ${sql(schema)} cascade`;
}
