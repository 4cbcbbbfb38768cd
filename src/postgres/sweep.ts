// Internal: the PostgreSQL part of the sweep: databases, and schemas in every
// database, named by fixtures of runs older than the cutoff.

import { loadPostgres, postgresOptions } from "./client.ts";
import type { PostgresConfig } from "./config.ts";
import { createdAt, isSweepable, type SweepAttempt } from "../run/naming.ts";

/** Drops the server's sweepable databases and schemas. */
export async function sweepPostgres(
  config: PostgresConfig,
  cutoff: Date,
  attempt: SweepAttempt,
): Promise<void> {
  const postgres = await loadPostgres();
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    // A CREATE DATABASE whose client was killed still runs, and its database
    // appears when it commits, after this sweep: stop such statements first.
    const creating = await admin<{ pid: number; query: string }[]>`
      select pid, query from pg_stat_activity
      where pid <> pg_backend_pid() and state = 'active'
        and lower(query) like 'create database %'`;
    for (const { pid, query } of creating) {
      const name = /^\s*create\s+database\s+"?([a-z0-9_]+)/i.exec(query)?.[1];
      if (name && isSweepable(name, "sql", cutoff)) {
        await attempt(
          `the creation of database ${name}`,
          () => admin`select pg_terminate_backend(${pid})`,
        );
      }
    }
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database where datallowconn order by datname`;
    for (const { datname } of databases) {
      const created = createdAt(datname, "sql");
      if (created && created <= cutoff) {
        await attempt(
          `database ${datname}`,
          () => admin`drop database if exists ${admin(datname)} with (force)`,
        );
        continue;
      }
      // A younger toolkit database belongs to a live run, and so do its
      // schemas; its helper may drop it (with force) at any moment.
      if (created) continue;
      const sql = postgres(
        postgresOptions({ ...config, database: datname }, { max: 1 }),
      );
      try {
        const schemas = await sql<{ nspname: string }[]>`
          select nspname from pg_namespace where nspname like 'itkit%'`;
        for (const { nspname } of schemas) {
          if (!isSweepable(nspname, "sql", cutoff)) continue;
          await attempt(
            `schema ${datname}.${nspname}`,
            () => sql`drop schema if exists ${sql(nspname)} cascade`,
          );
        }
      } catch (error) {
        // No access to it, or dropped since the listing: nothing to sweep.
        const code = (error as { code?: string }).code;
        if (code !== "42501" && code !== "3D000") throw error;
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}
