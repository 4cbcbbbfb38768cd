// `deno test` module of bench/sections/postgres.ts, hand-written "schema"
// isolation: one connection; CREATE SCHEMA, migrate, DROP SCHEMA per test;
// BENCH_TESTS tests.
import { envCount } from "../_env.ts";
import { benchId, connect, MIGRATION, serverUrl, work } from "./_work.ts";

const n = envCount("BENCH_TESTS");
const id = benchId();
const sql = connect(serverUrl());
for (let i = 0; i < n; i++) {
  Deno.test("t" + i, async () => {
    const s = id + "_" + i;
    await sql.unsafe(
      "create schema " + s + "; set search_path to " + s + "; " + MIGRATION,
    );
    await work(sql, i);
    await sql.unsafe("reset search_path; drop schema " + s + " cascade");
  });
}
Deno.test("teardown", () => sql.end());
