/**
 * What a test run left behind on a PostgreSQL server: databases and schemas
 * beyond a fresh server's own.
 *
 * @module
 */

import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";

/**
 * Lists the databases and schemas a fresh server does not have, as
 * `database <name>` and `schema <database>.<name>`.
 *
 * @param config The server (any database; every database is visited).
 * @returns One line per leftover.
 *
 * @example
 * ```ts ignore
 * import { listPostgresLeftovers, startPostgresServer } from "../../services.ts";
 *
 * await using pg = await startPostgresServer();
 * console.log(await listPostgresLeftovers(pg.config)); // []
 * ```
 */
export async function listPostgresLeftovers(
  config: PostgresConfig,
): Promise<string[]> {
  const postgres = await loadPostgres();
  const lines: string[] = [];
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname not in ('template0', 'template1', ${config.database})
      order by datname`;
    const all = [config.database, ...databases.map((d) => d.datname)];
    for (const name of databases) lines.push(`database ${name.datname}`);
    for (const database of all) {
      const sql = postgres(
        postgresOptions({ ...config, database }, { max: 1 }),
      );
      try {
        const schemas = await sql<{ nspname: string }[]>`
          select nspname from pg_namespace
          where nspname not in ('public', 'information_schema')
            and nspname not like 'pg\\_%'
          order by nspname`;
        for (const s of schemas) lines.push(`schema ${database}.${s.nspname}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return lines;
}
