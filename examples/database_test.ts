import assert from "node:assert/strict";
import { integration } from "../mod.ts";
import { postgresDatabase, probePostgres } from "../postgres.ts";

// DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE.
const db = await probePostgres();

integration("users are stored in a fresh schema that is dropped afterwards", {
  requires: [db],
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "schema",
      migrate: (sql) =>
        sql`create table users (id serial primary key, name text not null)`,
    }),
  },
}, async (_t, { db }) => {
  await db.sql`insert into users (name) values ('ada'), ('grace')`;

  const rows = await db.sql<
    { name: string }[]
  >`select name from users order by name`;

  assert.deepEqual(rows.map((r) => r.name), ["ada", "grace"]);
  console.log(`schema: ${db.schema}`);
});
