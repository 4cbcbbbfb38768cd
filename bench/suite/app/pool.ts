/**
 * The app's own connection pool: postgres.js opened from a connection string
 * (the app reads `DATABASE_URL` when given none), committing its own writes,
 * as a service does in production. Tests hand it the URL of their database.
 *
 * @module
 */

import postgres from "postgres";

/** The app's client type. */
export type Sql = postgres.Sql;

/**
 * Opens the app's pool.
 *
 * @param url The connection string; `DATABASE_URL` by default.
 * @returns A postgres.js pool of up to 5 connections (opened on demand).
 * @throws {TypeError} When no URL is given and `DATABASE_URL` is unset.
 *
 * @example
 * ```ts ignore
 * const sql = openPool("postgres://app@127.0.0.1:5432/app");
 * await sql`select 1`;
 * await sql.end();
 * ```
 */
export function openPool(url?: string): Sql {
  const target = url ?? Deno.env.get("DATABASE_URL");
  if (!target) {
    throw new TypeError(
      "Cannot open the app's pool: DATABASE_URL is not set (expected postgres://user:password@host:port/database)",
    );
  }
  return postgres(target, { max: 5, onnotice: () => {} });
}
