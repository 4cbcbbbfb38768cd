// Isolation "truncate" whose migration fails: the error names the level,
// whichever place (a database or a schema) the process's copy was to be.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

integration("truncate migration fails", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "truncate",
      migrate: (sql) => sql`insert into missing values (1)`,
    }),
  },
}, () => {});
