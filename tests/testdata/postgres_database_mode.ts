import { integration } from "../../mod.ts";
import { postgresDatabase } from "../../postgres.ts";

const migrate = (
  sql: Parameters<
    NonNullable<Parameters<typeof postgresDatabase>[0]>["migrate"] & object
  >[0],
) => sql`create table items (name text)`;

for (const name of ["first", "second", "third"]) {
  integration(`database mode ${name}`, {
    fixtures: {
      db: postgresDatabase.fixture({ isolation: "database", migrate }),
    },
  }, async (_t, { db }) => {
    await db.sql`insert into items values (${name})`;
    const rows = await db.sql`select name from items`;
    if (rows.length !== 1) throw new Error(`saw ${rows.length} rows`);
    const { tpl } = (await db.sql<{ tpl: string }[]>`
      select datname as tpl from pg_database where datname like 'itkit_tpl%'`)[
      0
    ]!;
    console.log(`CLONE ${db.database} FROM ${tpl}`);
  });
}
