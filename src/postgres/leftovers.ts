/**
 * What a test run left behind on a PostgreSQL server: databases and schemas
 * beyond a fresh server's own.
 *
 * @module
 */

import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";
import { createdAt } from "../run/naming.ts";

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
  // A test process's helper drops its databases just after the process
  // ends: while the listing keeps shrinking, or a drop is under way, give it
  // a moment.
  let { lines } = await listOnce(config);
  for (let waited = 0; lines.length > 0 && waited < SETTLE_MS;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    waited += 250;
    const again = await listOnce(config);
    const shrinking = again.lines.length < lines.length;
    lines = again.lines;
    if (!shrinking && !again.dropping && waited >= 1_000) break;
  }
  return lines;
}

/** How long a listing may wait for databases being dropped. */
const SETTLE_MS = 15_000;

/** One listing, and whether a `DROP DATABASE` was running at its start. */
async function listOnce(
  config: PostgresConfig,
): Promise<{ lines: string[]; dropping: boolean }> {
  const postgres = await loadPostgres();
  const lines: string[] = [];
  const admin = postgres(postgresOptions(config, { max: 1 }));
  let dropping = false;
  try {
    const [activity] = await admin<{ dropping: boolean }[]>`
      select exists(
        select from pg_stat_activity
        where pid <> pg_backend_pid() and state = 'active'
          and query ilike 'drop database%'
      ) as dropping`;
    dropping = activity?.dropping === true;
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname not in ('template0', 'template1', ${config.database})
      order by datname`;
    const all = [config.database, ...databases.map((d) => d.datname)];
    for (const database of all) {
      if (database !== config.database) lines.push(`database ${database}`);
      // A toolkit database is a leftover as a whole, and a helper may be
      // dropping it (with force) right now: it is not visited.
      if (createdAt(database, "sql")) continue;
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
      } catch (error) {
        if ((error as { code?: string }).code !== "3D000") throw error;
        // Dropped between the listing and now: not a leftover.
        if (database !== config.database) lines.pop();
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return { lines, dropping };
}
