// Internal: what the PostgreSQL programs of bench/sections/postgres.ts share:
// the 12-table migration, a test's work, and the hand-written programs'
// connection.
import postgres from "postgres";

/** 12 tables, 12 indexes and one seeded row. */
export const MIGRATION: string = Array.from(
  { length: 12 },
  (_, i) =>
    `create table t${i} (id serial primary key, name text not null, n int); create index t${i}_name on t${i} (name);`,
).join(" ") + " insert into t0 (name) values ('seed');";

/**
 * A test's work: two rows inserted into one of the tables, read back.
 *
 * @param sql The test's client.
 * @param i The test's number (which table it writes).
 */
export async function work(sql: postgres.Sql, i: number): Promise<void> {
  const t = "t" + (i % 12);
  await sql.unsafe("insert into " + t + " (name, n) values ('a', 1), ('b', 2)");
  const rows = await sql.unsafe(
    "select name from " + t + " where name in ('a', 'b')",
  );
  if (rows.length !== 2) throw new Error("saw " + rows.length + " rows");
}

/**
 * @returns DATABASE_URL, which `cli.ts run` sets.
 * @throws {TypeError} When it is unset.
 */
export function serverUrl(): string {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) {
    throw new TypeError(
      "Cannot run the bench program: DATABASE_URL is not set (run it through `deno run -A cli.ts run -- …`)",
    );
  }
  return url;
}

/**
 * @param url A connection string.
 * @param database A database name.
 * @returns `url` with its database replaced by `database`.
 */
export function databaseAt(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + database;
  return u.href;
}

/** @returns A prefix for the names a hand-written program creates. */
export function benchId(): string {
  return "bench_" + crypto.randomUUID().slice(0, 8);
}

/**
 * A hand-written program's client: one connection, kept.
 *
 * @param url A connection string.
 * @returns A postgres.js client.
 */
export function connect(url: string): postgres.Sql {
  return postgres(url, { max: 1, max_lifetime: null, onnotice: () => {} });
}

/** A database a hand-written program made and migrated. */
export interface MigratedDatabase {
  /** DATABASE_URL. */
  url: string;
  /** The database's name. */
  id: string;
  /** A connection to DATABASE_URL's database, which dropping `id` needs. */
  admin: postgres.Sql;
  /** A connection to the database. */
  sql: postgres.Sql;
}

/**
 * Creates a database of its own on DATABASE_URL's server and migrates it, as
 * a hand-written test file does at load.
 *
 * @returns The database and its connections.
 */
export async function migratedDatabase(): Promise<MigratedDatabase> {
  const url = serverUrl();
  const id = benchId();
  const admin = connect(url);
  await admin.unsafe("create database " + id);
  const sql = connect(databaseAt(url, id));
  await sql.unsafe(MIGRATION);
  return { url, id, admin, sql };
}
