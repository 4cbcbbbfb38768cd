// A run whose working directory is removed while it runs (a CI script that
// runs `deno test` in a throwaway directory and removes it): the migrated
// schema the reaper drops after the process ends must still go. The
// directory goes at module load, before the declaration starts the reaper:
// a helper that inherited it could not even start (Deno reads its working
// directory first thing), which is what a slow start on a loaded machine met.
// Prints the schema; the parent checks it is gone.
import { integration } from "../../../mod.ts";
import { postgresDatabase, probePostgres } from "../../../postgres.ts";

const pg = await probePostgres();
/** The process's working directory, set by the parent. */
const cwd = Deno.env.get("RUN_DIR")!;
Deno.removeSync(cwd, { recursive: true });

integration("the working directory is removed as the module loads", {
  requires: [pg],
  fixtures: {
    db: postgresDatabase.fixture({
      migrate: (sql) => sql`create table t (x int)`,
    }),
  },
}, async (_t, { db }) => {
  console.log(`SCHEMA ${db.schema}`);
  await db.sql`insert into t values (1)`;
});
