import assert from "node:assert/strict";
import { integration } from "../mod.ts";
import { postgresDatabase, probePostgres } from "../postgres.ts";

const db = await probePostgres();

integration(
  "two inserts in one transaction are both visible, then rolled back",
  {
    requires: [db],
    fixtures: {
      db: postgresDatabase.fixture({
        isolation: "transaction",
        migrate: (sql) =>
          sql`create table test_table (id serial primary key, value text)`,
      }),
    },
  },
  async (_t, { db }) => {
    await db.sql.begin(async (sql) => {
      await sql`insert into test_table (value) values ('first')`;
      await sql`insert into test_table (value) values ('second')`;
    });

    const rows = await db.sql`SELECT * FROM test_table`;

    assert.equal(rows.length, 2);
  },
);
