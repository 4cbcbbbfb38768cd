// `deno test` module of bench/sections/postgres.ts, hand-written "truncate"
// isolation: one database migrated once; per test, TRUNCATE of the table it
// changed (and the migrated row put back); BENCH_TESTS tests.
import { envCount } from "../_env.ts";
import { migratedDatabase, work } from "./_work.ts";

const n = envCount("BENCH_TESTS");
const { id, admin, sql } = await migratedDatabase();
for (let i = 0; i < n; i++) {
  Deno.test("t" + i, async () => {
    await work(sql, i);
    const changed = "t" + (i % 12);
    await sql.unsafe(
      "truncate " + changed + " restart identity cascade" +
        (changed === "t0" ? "; insert into t0 (name) values ('seed')" : ""),
    );
  });
}
Deno.test("teardown", async () => {
  await sql.end();
  await admin.unsafe("drop database " + id);
  await admin.end();
});
