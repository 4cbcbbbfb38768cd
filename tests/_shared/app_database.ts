// A database of a role of its own on the run's PostgreSQL server, as a
// managed PostgreSQL gives an app (Deno Deploy's per-branch databases): the
// role owns the database and may or may not create databases. Not named like
// the toolkit's (`itkit…`), so other tests' leftover checks never see it.
import { type PostgresConfig, postgresUrl } from "../../postgres.ts";
import { PG, withAdmin } from "./services.ts";

/** An app's role and database, dropped on dispose. */
export interface AppDatabase extends AsyncDisposable {
  /** Its role, password and database on the run's server. */
  config: PostgresConfig;
  /** `DATABASE_URL` for it (the real password). */
  url: string;
  /** Runs `sql` in the database as the role; returns its rows as JSON. */
  query(sql: string): Promise<unknown>;
  /** The toolkit's schemas (`itkit…`) in the database. */
  itkitSchemas(): Promise<string[]>;
}

/**
 * Creates a role (`CREATEDB` or not) with a random password, a database it
 * owns, and in it `objects` (the app's own), made by the role.
 */
export async function appDatabase(
  options: { createdb: boolean; objects?: string },
): Promise<AppDatabase> {
  const name = `app_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const password = `pw-${crypto.randomUUID()}`;
  await withAdmin(async (sql) => {
    await sql.unsafe(
      `create role ${name} login password '${password}' ${
        options.createdb ? "createdb" : "nocreatedb"
      }`,
    );
    await sql.unsafe(`create database ${name} owner ${name}`);
  });
  const config: PostgresConfig = {
    ...PG,
    user: name,
    password,
    database: name,
  };
  const query = (text: string): Promise<unknown> =>
    withAdmin(
      async (sql) => JSON.parse(JSON.stringify(await sql.unsafe(text))),
      name,
      config,
    );
  if (options.objects) await query(options.objects);
  return {
    config,
    url: postgresUrl(config, true),
    query,
    itkitSchemas: async () =>
      ((await query(
        "select nspname from pg_namespace where nspname like 'itkit%' order by 1",
      )) as { nspname: string }[]).map((r) => r.nspname),
    async [Symbol.asyncDispose](): Promise<void> {
      await withAdmin(async (sql) => {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
        await sql.unsafe(`drop role if exists ${name}`);
      });
    },
  };
}
