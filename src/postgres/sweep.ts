// Internal: the PostgreSQL part of the sweep: databases, schemas in every
// database, and CREATE DATABASE statements still running, named by
// fixtures; and which of their runs are alive (_lease.ts). Its sessions wait
// for no lock (`lock_timeout`) and run no statement for long
// (`statement_timeout`): what another session holds is reported in use and
// left for a later sweep.

import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";
import { liveRuns } from "./_lease.ts";
import type { Pg } from "./_shared_pool.ts";
import { createdAt, runIdOf } from "../run/naming.ts";
import {
  InUseError,
  type StoreSweep,
  type SweepCandidate,
} from "../run/sweep_store.ts";

/** How long a sweep's statement may wait for a lock. */
const LOCK_TIMEOUT_MS = 1_000;
/** How long a sweep's statement may run (a large database's drop). */
const STATEMENT_TIMEOUT_MS = 60_000;

/**
 * Lists the server's toolkit databases, the toolkit schemas in every other
 * database, and toolkit databases still being created.
 *
 * @param config The server (any database).
 * @returns The server's part of the sweep.
 * @throws When the server cannot be listed.
 */
export async function openPostgresSweep(
  config: PostgresConfig,
): Promise<StoreSweep> {
  const postgres = await loadPostgres();
  const connect = (database: string): Pg =>
    postgres(postgresOptions({ ...config, database }, {
      max: 1,
      connection: {
        application_name: "itkit",
        lock_timeout: LOCK_TIMEOUT_MS,
        statement_timeout: STATEMENT_TIMEOUT_MS,
      },
    })) as unknown as Pg;
  const admin = connect(config.database);
  const others: Pg[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(
      [admin, ...others].map((sql) => sql.end({ timeout: 5 }).catch(() => {})),
    );
  };
  const candidates: SweepCandidate[] = [];
  try {
    // A CREATE DATABASE whose client was killed still runs, and its database
    // appears when it commits, after this sweep: such statements first.
    // Each with its start time: a pid alone may be another session's by the
    // time it is terminated (the statement ended, a new backend got its pid).
    const creating = await admin<
      { pid: number; started: string; query: string }[]
    >`
      select pid, backend_start::text as started, query from pg_stat_activity
      where pid <> pg_backend_pid() and state = 'active'
        and lower(query) like 'create database %'`;
    for (const { pid, started, query } of creating) {
      const name = /^\s*create\s+database\s+"?([a-z0-9_]+)/i.exec(query)?.[1];
      const runId = name && runIdOf(name, "sql");
      if (!name || !runId) continue;
      candidates.push({
        what: `the creation of database ${name}`,
        runId,
        created: createdAt(name, "sql")!,
        remove: async () => {
          // One statement: the backend listed, if it still runs, and still
          // runs that CREATE DATABASE.
          const [row] = await admin<{ ended: boolean }[]>`
            select pg_terminate_backend(pid) as ended from pg_stat_activity
            where pid = ${pid} and backend_start::text = ${started}
              and state = 'active' and query = ${query}`;
          return row?.ended === true;
        },
      });
    }
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database where datallowconn
      order by datname like 'itkit\\_tpl\\_%', datname`;
    const schemas: SweepCandidate[] = [];
    for (const { datname } of databases) {
      const runId = runIdOf(datname, "sql");
      if (runId) {
        // Clones before their templates. Not visited: its owner (or the
        // sweep) may drop it, with force, at any moment.
        candidates.push({
          what: `database ${datname}`,
          runId,
          created: createdAt(datname, "sql")!,
          remove: () =>
            removal(admin`drop database ${admin(datname)} with (force)`),
        });
        continue;
      }
      const sql = connect(datname);
      others.push(sql);
      try {
        const found = await sql<{ nspname: string }[]>`
          select nspname from pg_namespace where nspname like 'itkit%'
          order by nspname`;
        for (const { nspname } of found) {
          const runId = runIdOf(nspname, "sql");
          if (!runId) continue;
          schemas.push({
            what: `schema ${datname}.${nspname}`,
            runId,
            created: createdAt(nspname, "sql")!,
            remove: () => removal(sql`drop schema ${sql(nspname)} cascade`),
          });
        }
      } catch (error) {
        // No access to it, or dropped since the listing: nothing to sweep.
        const code = (error as { code?: string }).code;
        if (code !== "42501" && code !== "3D000") throw error;
      }
    }
    candidates.push(...schemas);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    candidates,
    live: (runIds) => liveRuns(admin, runIds),
    close,
  };
}

/**
 * Runs a DROP: `false` when what it drops was gone already (its owner, or
 * another sweep, dropped it meanwhile). A lock it would have waited for (or
 * a statement that ran too long) makes it in use rather than failed.
 */
async function removal(query: PromiseLike<unknown>): Promise<boolean> {
  try {
    await query;
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // invalid_catalog_name (a database), invalid_schema_name
    if (code === "3D000" || code === "3F000") return false;
    // lock_not_available, object_in_use, query_canceled (statement_timeout)
    if (code === "55P03" || code === "55006" || code === "57014") {
      throw new InUseError(
        `another session holds it (${(error as Error).message})`,
        { cause: error },
      );
    }
    throw error;
  }
}
