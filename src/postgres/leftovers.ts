/**
 * What a test run left behind on a PostgreSQL server: databases and schemas
 * beyond a fresh server's own.
 *
 * @module
 */

import type postgres from "npm:postgres@^4.2.0";
import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";
import { createdAt, runIdOf } from "../run/naming.ts";
import { liveRuns } from "./_lease.ts";
import type { Pg } from "./_shared_pool.ts";

/** Options of {@linkcode listPostgresLeftovers}. */
export interface LeftoverOptions {
  /**
   * Also list what fixtures of runs still alive hold (their lease is held):
   * on a server other runs share, those are theirs, not leftovers.
   *
   * @default {false}
   */
  includeLive?: boolean;
}

/**
 * Lists the databases and schemas a fresh server does not have, as
 * `database <name>` and `schema <database>.<name>`, except (unless
 * `includeLive`) those a fixture of a run still alive made.
 *
 * A database named by a fixture (`itkit_<run id>_<n>`) is listed as a whole
 * and not visited (its helper may be dropping it); every other database is
 * visited for its schemas. List after the run's helpers are done (`cli.ts
 * run` waits for them, see `waitForReapers`); a `DROP DATABASE` still under
 * way on the server when the listing ran is waited for (up to 30 s), then the
 * server is listed once more.
 *
 * @param config The server (any database).
 * @param options Whether to list live runs' resources too.
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
  options: LeftoverOptions = {},
): Promise<string[]> {
  const includeLive = options.includeLive ?? false;
  const first = await listOnce(config, includeLive);
  if (first.lines.length === 0 || !first.dropping) return first.lines;
  // A drop the caller did not wait for (a helper of a process it did not
  // start) was under way: its database is not a leftover once it commits.
  await dropsDone(config);
  return (await listOnce(config, includeLive)).lines;
}

/**
 * How long a listing waits for a `DROP DATABASE` under way: one drop takes a
 * checkpoint, seconds on a loaded machine; a drop still running after this is
 * stuck, and its database is listed.
 */
const DROP_WAIT_MS = 30_000;

/** Waits until no `DROP DATABASE` runs on the server, up to DROP_WAIT_MS. */
async function dropsDone(config: PostgresConfig): Promise<void> {
  const postgres = await loadPostgres();
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    const until = Date.now() + DROP_WAIT_MS;
    while (await dropsRunning(admin) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Whether another session runs a `DROP DATABASE` now. */
async function dropsRunning(admin: postgres.Sql): Promise<boolean> {
  const [activity] = await admin<{ dropping: boolean }[]>`
    select exists(
      select from pg_stat_activity
      where pid <> pg_backend_pid() and state = 'active'
        and query ilike 'drop database%'
    ) as dropping`;
  return activity?.dropping === true;
}

/** One listing, and whether a `DROP DATABASE` ran at its start or end. */
async function listOnce(
  config: PostgresConfig,
  includeLive: boolean,
): Promise<{ lines: string[]; dropping: boolean }> {
  const postgres = await loadPostgres();
  let lines: string[] = [];
  const admin = postgres(postgresOptions(config, { max: 1 }));
  let dropping = false;
  try {
    dropping = await dropsRunning(admin);
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname not in ('template0', 'template1', ${config.database})
      order by datname`;
    const all = [config.database, ...databases.map((d) => d.datname)];
    for (const database of all) {
      const at = lines.length;
      if (database !== config.database) {
        lines.push(`database ${database}`);
        // A toolkit database is a leftover as a whole, and a helper may be
        // dropping it (with force) right now: it is not visited.
        if (createdAt(database, "sql")) continue;
      }
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
        lines.splice(at);
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
    dropping ||= await dropsRunning(admin);
    if (!includeLive) {
      lines = await withoutLive(admin as unknown as Pg, lines);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return { lines, dropping };
}

/**
 * `lines` without the resources of runs alive on the server, read after the
 * listing (see src/run/sweep_store.ts).
 */
async function withoutLive(admin: Pg, lines: string[]): Promise<string[]> {
  const runOf = (line: string): string | undefined =>
    runIdOf(line.replace(/^(database |schema [^.]+\.)/, ""), "sql");
  const runIds = new Set(lines.map(runOf).filter((id) => id !== undefined));
  if (runIds.size === 0) return lines;
  const live = await liveRuns(admin, runIds);
  return lines.filter((line) => !live.has(runOf(line) ?? ""));
}
