// A body stuck in the server, past the toolkit's timeout (ISOLATION).
import { integration } from "../../../mod.ts";
import { postgresDatabase, type PostgresIsolation } from "../../../postgres.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;

const db = postgresDatabase.fixture({
  isolation,
  migrate: (sql) => sql`create table t (x int)`,
});

// First, what the process does once (the migration, a template and its
// clone, the helpers): the budget below is for the body, not for them.
integration(`warms up (${isolation})`, { fixtures: { db } }, () => {});

integration(`stuck in pg_sleep (${isolation})`, {
  // Setup is a handout once warm; 3 s leave it room on a loaded machine.
  timeout: 3000,
  fixtures: { db },
}, async (_t, { db }) => {
  // Holding a lock that cleanup (DROP SCHEMA) would wait for.
  await db.sql.begin(async (tx) => {
    await tx`lock table t in access exclusive mode`;
    await tx`select pg_sleep(80)`;
  });
});
