// The app of tests/_shared/pg_app.ts, tested unchanged in each isolation level where code
// that opens its own pool and commits is allowed (ISOLATION selects it).
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { postgresDatabase, type PostgresIsolation } from "../../../postgres.ts";
import { openStore } from "../../_shared/pg_app.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;

for (const name of ["ada", "grace", "edsger"]) {
  integration(`app stores ${name} (${isolation})`, {
    // postgres.js reads PG* variables for what the URL leaves out.
    permissions: { env: true },
    fixtures: {
      db: postgresDatabase.fixture({
        isolation,
        migrate: async (sql) => {
          await sql`create table users (id serial primary key, name text not null)`;
          await sql`insert into users (name) values ('root')`;
        },
      }),
    },
  }, async (_t, { db }) => {
    await using store = openStore(db.env());
    const id = await store.addUser(name);
    // The app committed on its own connection: the test sees it on db.sql.
    const rows = await db.sql<
      { name: string }[]
    >`select name from users order by id`;
    assert.deepEqual(rows.map((r) => r.name), ["root", name]);
    assert.deepEqual(await store.names(), ["root", name]);
    console.log(`APP ${name} id=${id} db=${db.database} schema=${db.schema}`);
  });
}
