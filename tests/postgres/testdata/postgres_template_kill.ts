// A database-isolated test whose migration takes long: the process is killed
// while the template is being built.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

integration("slow template", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "database",
      migrate: async (sql) => {
        const { db } = (await sql<
          { db: string }[]
        >`select current_database() as db`)[0]!;
        console.log(`TEMPLATE ${db}`);
        await sql`select pg_sleep(30)`;
      },
    }),
  },
}, () => {});
