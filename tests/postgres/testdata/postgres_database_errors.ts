import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

integration("migration fails", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "database",
      migrate: (sql) => sql`insert into missing values (1)`,
    }),
  },
}, () => {});

integration("no CREATEDB privilege", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
}, () => {});
