// A body stuck in the server, past the toolkit's timeout (ISOLATION).
import { integration } from "../../mod.ts";
import { postgresDatabase, type PostgresIsolation } from "../../postgres.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;

integration(`stuck in pg_sleep (${isolation})`, {
  timeout: 1000,
  fixtures: {
    db: postgresDatabase.fixture({
      isolation,
      migrate: (sql) => sql`create table t (x int)`,
    }),
  },
}, async (_t, { db }) => {
  // Holding a lock that cleanup (DROP SCHEMA) would wait for.
  await db.sql.begin(async (tx) => {
    await tx`lock table t in access exclusive mode`;
    await tx`select pg_sleep(80)`;
  });
});
