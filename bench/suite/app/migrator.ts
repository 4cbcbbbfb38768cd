/**
 * The app's own migrator: applies the `.sql` files of a directory in name
 * order, each in its own transaction with its row in
 * `public.schema_migrations`, under an advisory lock (two deploys never apply
 * the same file). Files already recorded are skipped.
 *
 * @module
 */

import type { Sql } from "./pool.ts";

/** The app's migrations. */
export const MIGRATIONS: URL = new URL("../migrations/", import.meta.url);

/** What {@linkcode migrate} did. */
export interface MigrateResult {
  /** The files applied by this call. */
  applied: string[];
  /** Milliseconds the call took. */
  ms: number;
}

/** Lock id of the migrator (any constant; scoped to the database). */
const LOCK = 7_420_001;

/**
 * Applies the pending migrations of `dir` on `sql`.
 *
 * @param sql A client of the database to migrate (one connection suffices).
 * @param dir The directory of `.sql` files.
 * @returns The applied files and the time taken.
 *
 * @example
 * ```ts ignore
 * import { openPool } from "./pool.ts";
 * const sql = openPool();
 * await migrate(sql);
 * await sql.end();
 * ```
 */
export async function migrate(
  sql: Sql,
  dir: URL = MIGRATIONS,
): Promise<MigrateResult> {
  const started = performance.now();
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name);
  }
  files.sort();
  const applied: string[] = [];
  await sql`create table if not exists public.schema_migrations (
    name text primary key,
    applied_at timestamptz not null default now()
  )`;
  const done = new Set(
    (await sql<{ name: string }[]>`select name from public.schema_migrations`)
      .map((row) => row.name),
  );
  for (const name of files) {
    if (done.has(name)) continue;
    const text = await Deno.readTextFile(new URL(name, dir));
    // Each file in its own transaction, under the lock; a file another
    // migrator applied meanwhile is skipped.
    const ran = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK})`;
      const [seen] = await tx`
        select 1 from public.schema_migrations where name = ${name}`;
      if (seen) return false;
      await tx.unsafe(text);
      await tx`insert into public.schema_migrations (name) values (${name})`;
      return true;
    });
    if (ran) applied.push(name);
  }
  return { applied, ms: performance.now() - started };
}
