// Tests of one isolation level (ISOLATION) sharing one inline migration:
// each prints the backend it used and the migration prints when it runs.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import {
  postgresDatabase,
  type PostgresIsolation,
  probePostgres,
} from "../../../postgres.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;
const pg = await probePostgres();

for (let i = 1; i <= 4; i++) {
  integration(`${isolation} test ${i}`, {
    requires: [pg],
    fixtures: {
      db: postgresDatabase.fixture({
        isolation,
        // An inline arrow per test, as in the README: same source, one migration.
        migrate: async (sql) => {
          console.log("MIGRATE");
          await sql`create table notes (id serial primary key, body text)`;
          await sql`create type mood as enum ('ok', 'bad')`;
          await sql`insert into notes (body) values ('seed')`;
        },
      }),
    },
  }, async (_t, { db }) => {
    await db.sql`insert into notes (body) values (${`test ${i}`})`;
    await db.sql.begin(async (tx) => {
      await tx`insert into notes (body) values ('in begin')`;
    });
    const rows = await db.sql<
      { body: string }[]
    >`select body from notes order by id`;
    assert.deepEqual(rows.map((r) => r.body), [
      "seed",
      `test ${i}`,
      "in begin",
    ]);
    // Arrays come back parsed in every test; of a migrated type too where
    // the test's pool connects after the migration (database isolation: in
    // every clone's pool; the shared pool of the other levels fetched its
    // types before).
    const [arrays] = await db.sql<{ ids: number[]; moods: string[] }[]>`
      select array_agg(id order by id) as ids,
        array['ok', 'bad']::mood[] as moods from notes`;
    assert.equal(arrays?.ids.length, 3);
    assert.ok(arrays.ids.every((id) => typeof id === "number"));
    if (isolation === "database" || isolation === "truncate") {
      assert.deepEqual(arrays.moods, ["ok", "bad"]);
    }
    const { pid } = (await db.sql<
      { pid: number }[]
    >`select pg_backend_pid() as pid`)[0]!;
    console.log(`PID ${pid}`);
  });
}
