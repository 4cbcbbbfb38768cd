// `deno test` module of bench/sections/postgres.ts, what a user writes by
// hand for a database per test: a template migrated once at load, then per
// test CREATE DATABASE … TEMPLATE, a connection to it, the test's work, DROP
// DATABASE; BENCH_TESTS tests.
import { envCount } from "../_env.ts";
import { connect, databaseAt, migratedDatabase, work } from "./_work.ts";

const n = envCount("BENCH_TESTS");
const { url, id, admin, sql: template } = await migratedDatabase();
await template.end();
for (let i = 0; i < n; i++) {
  Deno.test("t" + i, async () => {
    const db = id + "_" + i;
    await admin.unsafe("create database " + db + " template " + id);
    const sql = connect(databaseAt(url, db));
    await work(sql, i);
    await sql.end();
    await admin.unsafe("drop database " + db);
  });
}
Deno.test("teardown", async () => {
  await admin.unsafe("drop database " + id);
  await admin.end();
});
