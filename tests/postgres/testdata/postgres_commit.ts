// Code under test that commits the test's transaction (isolation
// "transaction"): the test must fail, and nothing may stay behind.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

const migrate = (sql: { unsafe(q: string): Promise<unknown> }) =>
  sql.unsafe("create table orders (id int)");

integration("commits the test's transaction", {
  fixtures: {
    db: postgresDatabase.fixture({ isolation: "transaction", migrate }),
  },
}, async (_t, { db }) => {
  await db.sql`insert into orders values (1)`;
  await db.sql`commit`;
  await db.sql`insert into orders values (2)`;
});

integration("the next test sees a freshly migrated schema", {
  fixtures: {
    db: postgresDatabase.fixture({ isolation: "transaction", migrate }),
  },
}, async (_t, { db }) => {
  const rows = await db.sql`select * from orders`;
  if (rows.length !== 0) throw new Error(`saw ${rows.length} leaked rows`);
});
