// Tests of one isolation level (ISOLATION) sharing one inline migration:
// each prints the backend it used and the migration prints when it runs.
import assert from "node:assert/strict";
import { integration } from "../../mod.ts";
import {
  postgresDatabase,
  type PostgresIsolation,
  probePostgres,
} from "../../postgres.ts";

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
    const { pid } = (await db.sql<
      { pid: number }[]
    >`select pg_backend_pid() as pid`)[0]!;
    console.log(`PID ${pid}`);
  });
}
