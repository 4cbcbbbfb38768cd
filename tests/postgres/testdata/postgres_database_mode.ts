import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

const migrate = (
  sql: Parameters<
    NonNullable<Parameters<typeof postgresDatabase>[0]>["migrate"] & object
  >[0],
) => sql`create table items (name text)`;

// The last one asks for a pool of its own size (its clone's client is made
// ahead, while the first test waits, with the first one's size), and sees the
// first one's clone still there: released clones are dropped once the
// module's last database test has ended, which the test after them sees
// while the module still runs.
let firstClone = "";
for (
  const [name, max] of [["first"], ["second"], ["third"], ["fourth", 1]] as [
    string,
    number?,
  ][]
) {
  integration(`database mode ${name}`, {
    fixtures: {
      db: postgresDatabase.fixture({
        isolation: "database",
        migrate,
        ...(max === undefined ? {} : { max }),
      }),
    },
  }, async (_t, { db }) => {
    if (name === "first") firstClone = db.database;
    if (name === "fourth") {
      const held = (await db.sql`
        select 1 from pg_database where datname = ${firstClone}`).length === 1;
      console.log(`FIRST CLONE HELD ${held}`);
    }
    await db.sql`insert into items values (${name})`;
    const rows = await db.sql`select name from items`;
    if (rows.length !== 1) throw new Error(`saw ${rows.length} rows`);
    const { tpl } = (await db.sql<{ tpl: string }[]>`
      select datname as tpl from pg_database where datname like 'itkit_tpl%'`)[
      0
    ]!;
    console.log(`CLONE ${db.database} FROM ${tpl} MAX ${db.sql.options.max}`);
  });
}

integration("after the database tests", {
  fixtures: { pg: postgresDatabase.fixture({ isolation: "schema" }) },
}, async (_t, { pg }) => {
  // The helper drops it once it has read the module's end from the drops
  // file: polled until then. The budget only bounds a helper that never
  // drops it (a drop takes a checkpoint: seconds on a loaded machine).
  const until = Date.now() + 60_000;
  let gone = false;
  while (!gone && Date.now() < until) {
    gone = (await pg.sql`
      select 1 from pg_database where datname = ${firstClone}`).length === 0;
    if (!gone) await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`FIRST CLONE DROPPED ${gone}`);
});
