// Internal: migrations run once per (server, kind, migration) per process,
// identified by their `name` or their source text, never by function identity.

import type { PostgresConfig } from "./config.ts";
import { postgresUrl } from "./config.ts";

/** What a migration is handed. */
export type Migrate<S> = (sql: S) => Promise<unknown> | unknown;

/**
 * What identifies a migration: its explicit `name`, else its source text (an
 * inline arrow with the same text is the same migration).
 */
export function migrationKey<S>(
  name: string | undefined,
  migrate: Migrate<S> | undefined,
): string {
  if (name !== undefined) return `name:${name}`;
  if (migrate === undefined) return "none";
  return `source:${migrate.toString()}`;
}

const built = new Map<string, Promise<string>>();

/**
 * Runs `build` once per key in this process; later callers share its result.
 * A failure is not cached: the next caller tries again.
 */
export function once(
  config: PostgresConfig,
  kind: string,
  key: string,
  build: () => Promise<string>,
): Promise<string> {
  const id = `${postgresUrl(config, true)}\n${kind}\n${key}`;
  let result = built.get(id);
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
