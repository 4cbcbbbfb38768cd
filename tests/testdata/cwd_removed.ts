// A test whose process's working directory is removed while it runs (a CI
// script that runs `deno test` in a throwaway directory and removes it): the
// migrated schema the reaper drops after the process ends must still go.
// Prints the schema; the parent checks it is gone.
import { integration } from "../../mod.ts";
import { postgresDatabase, probePostgres } from "../../postgres.ts";

const pg = await probePostgres();
/** The process's working directory, set by the parent. */
const cwd = Deno.env.get("RUN_DIR")!;

integration("the working directory is removed during the test", {
  requires: [pg],
  permissions: { write: [cwd] },
  fixtures: {
    db: postgresDatabase.fixture({
      migrate: (sql) => sql`create table t (x int)`,
    }),
  },
}, async (_t, { db }) => {
  console.log(`SCHEMA ${db.schema}`);
  await db.sql`insert into t values (1)`;
  await Deno.remove(cwd, { recursive: true });
});
