// Internal: what every isolation level hands the fixture, and the pieces they
// share (tracking for cleanup at process end, cancelling a timed-out test).

import type postgres from "npm:postgres@^4.2.0";
import type { PostgresConfig } from "./config.ts";
import { APPLICATION_NAME, type Pg, type SharedPool } from "./_shared_pool.ts";
import type { Migrate } from "./_migrations.ts";
import { clonePoolStarted, trackUntilExit } from "./_clone_pool.ts";
import { reaperRunning, register } from "../run/reaper.ts";

/** What an isolation level needs to start a test's session. */
export interface SessionInput {
  /** postgres.js's factory. */
  factory: typeof postgres;
  /** The server. */
  config: PostgresConfig;
  /** The migration, if any. */
  migrate?: Migrate<Pg> | undefined;
  /** What identifies the migration. */
  key: string;
  /** Pool size of a test's own pool (database isolation). */
  max: number;
  /** Aborted when the test times out: cancel what it runs. */
  signal?: AbortSignal;
}

/** A started session. */
export interface Session {
  /** The client for the test. */
  sql: Pg;
  /** Where `url` and `env()` point: the database and, for a schema, its search path. */
  config: PostgresConfig;
  /** The schema the test works in. */
  schema: string;
  /** `search_path` for connections the code under test opens (the test's schema alone), if not the database's default. */
  searchPath?: string;
  /** Ends the session (rolls back, drops, resets). */
  close(): Promise<void>;
}

/** How long cleanup waits for a cancelled test's connections. */
export const CANCEL_GRACE = 2_000;

/** The module that drops a schema for the reaper. */
const REMOVER = new URL("./_reap.ts", import.meta.url).href;

/**
 * Whether a schema can be handed to a process that drops it when this
 * process ends: the reaper, else the clone helper. A declared fixture starts
 * one of them at module load. (Started from inside a test, it would be a leak
 * for the test's sanitizers; without `--allow-run` neither can start.)
 */
export function canTrackSchemas(): boolean {
  return reaperRunning() || clonePoolStarted();
}

/**
 * Has the reaper (else the clone helper) drop `schema` (in
 * `config.database`) when this process ends, before the schema is created.
 *
 * @returns Whether the schema is tracked (else its user must drop it).
 */
export async function trackSchema(
  config: PostgresConfig,
  schema: string,
): Promise<boolean> {
  try {
    if (reaperRunning()) {
      const { host, port, user, password, database, sslmode, sslrootcert } =
        config;
      await register({
        remover: REMOVER,
        what: `schema ${schema} in ${database}`,
        config: { host, port, user, password, database, sslmode, sslrootcert },
        schema,
      });
      return true;
    }
    if (!clonePoolStarted()) return false;
    await trackUntilExit(config, schema, "schema");
    return true;
  } catch {
    return false; // the helper is gone
  }
}

/**
 * Cancels the queries this process's pooled connections are running (the
 * test timed out), from a connection of the pool that is not busy.
 */
export async function cancelActive(pool: SharedPool): Promise<void> {
  await pool.sql`
    select pg_cancel_backend(pid) from pg_stat_activity
    where application_name = ${APPLICATION_NAME}
      and state = 'active' and pid <> pg_backend_pid()`.catch(() => {});
}

/** Calls `onAbort` when `signal` aborts; returns the unsubscribe. */
export function onAbort(
  signal: AbortSignal | undefined,
  onAbort: () => void,
): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}
