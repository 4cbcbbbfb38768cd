// `deno test` module of bench/sections/postgres.ts: BENCH_TESTS tests, each
// with a postgresDatabase fixture of isolation BENCH_ISOLATION migrated by
// the 12-table migration, doing a test's work.
import { integration } from "../../../mod.ts";
import { postgresDatabase, probePostgres } from "../../../postgres.ts";
import { envChoice, envCount } from "../_env.ts";
import { MIGRATION, work } from "./_work.ts";

const n = envCount("BENCH_TESTS");
const isolation = envChoice(
  "BENCH_ISOLATION",
  ["transaction", "schema", "truncate", "database"] as const,
);
const pg = await probePostgres();
for (let i = 0; i < n; i++) {
  integration("t" + i, {
    requires: [pg],
    fixtures: {
      db: postgresDatabase.fixture({
        isolation,
        migrate: (sql) => sql.unsafe(MIGRATION),
      }),
    },
  }, async (_t, { db }) => {
    await work(db.sql, i);
  });
}
