// Internal: migrations run once per (server, kind, migration) per process,
// identified by their `name` or their source text, never by function identity.

import type { PostgresConfig } from "./config.ts";
import { postgresUrl } from "./config.ts";

/**
 * Where a migration runs: the database and, for a schema of the toolkit's,
 * the search path (the schema alone) of the connections that land there.
 */
export interface MigrationPlace {
  /** The server, user and the database migrated. */
  config: PostgresConfig;
  /** The schema migrated, when not the database's own default path. */
  searchPath?: string;
}

/** What a migration is handed: a client on one connection, and its place. */
export type Migrate<S> = (
  sql: S,
  place: MigrationPlace,
) => Promise<unknown> | unknown;

/**
 * What identifies a migration: its explicit `name`, else its source text (an
 * inline arrow with the same text is the same migration).
 */
export function migrationKey(
  name: string | undefined,
  migrate: ((...args: never[]) => unknown) | undefined,
): string {
  if (name !== undefined) return `name:${name}`;
  if (migrate === undefined) return "none";
  return `source:${migrate.toString()}`;
}

const built = new Map<string, Promise<unknown>>();

/**
 * Runs `build` once per key in this process; later callers share its result.
 * A failure is not cached: the next caller tries again.
 */
export function once<T = string>(
  config: PostgresConfig,
  kind: string,
  key: string,
  build: () => Promise<T>,
): Promise<T> {
  const id = `${postgresUrl(config, true)}\n${kind}\n${key}`;
  let result = built.get(id) as Promise<T> | undefined;
  if (!result) {
    result = build();
    built.set(id, result);
    result.catch(() => built.delete(id));
  }
  return result;
}

/** Forgets a built result (it was destroyed), so the next caller rebuilds. */
export function forget(
  config: PostgresConfig,
  kind: string,
  key: string,
): void {
  built.delete(`${postgresUrl(config, true)}\n${kind}\n${key}`);
}
