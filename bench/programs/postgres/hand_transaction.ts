// `deno test` module of bench/sections/postgres.ts, hand-written "transaction"
// isolation: one connection for the file, migrated once in a schema of its
// own, BEGIN/ROLLBACK per test; BENCH_TESTS tests.
import { envCount } from "../_env.ts";
import { benchId, connect, MIGRATION, serverUrl, work } from "./_work.ts";

const n = envCount("BENCH_TESTS");
const id = benchId();
const sql = connect(serverUrl());
await sql.unsafe(
  "create schema " + id + "; set search_path to " + id + "; " + MIGRATION,
);
for (let i = 0; i < n; i++) {
  Deno.test("t" + i, async () => {
    await sql`begin`;
    await work(sql, i);
    await sql`rollback`;
  });
}
Deno.test("teardown", async () => {
  await sql.unsafe("drop schema " + id + " cascade");
  await sql.end();
});
