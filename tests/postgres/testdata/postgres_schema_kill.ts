// A transaction-isolated test that prints the schema its migration made and
// then hangs: the process is killed while the schema exists.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

integration("hangs in its transaction", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "transaction",
      migrate: (sql) => sql`create table kept (x int)`,
    }),
  },
}, async (_t, { db }) => {
  console.log(`SCHEMA ${db.schema}`);
  await db.sql`select pg_sleep(30)`;
});
