import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

// 40 database tests: the clones the first 39 released are all still there
// while the last one runs (no DROP DATABASE beside the module's tests), even
// after it waits long enough for a drop to have finished.
const clones: string[] = [];
for (let i = 1; i <= 40; i++) {
  integration(`held ${i}`, {
    fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
  }, async (_t, { db }) => {
    if (i < 40) {
      clones.push(db.database);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
    const rows = await db.sql<{ datname: string }[]>`
      select datname from pg_database where datname in ${db.sql(clones)}`;
    console.log(
      `RELEASED CLONES STILL THERE ${rows.length} OF ${clones.length}`,
    );
  });
}
