// Tests whose database also holds the user's own objects (filled in by
// tests/postgres/postgres_user_objects_test.ts): a re-runnable migration and queries
// by unqualified name, declared and standalone, in the isolation level that
// ISOLATION names. Every name they use exists in the user's `public` too.
import assert from "node:assert/strict";
import postgres from "postgres";
import { integration } from "../../../mod.ts";
import {
  type PostgresDatabase,
  postgresDatabase,
  type PostgresIsolation,
  type PostgresSql,
} from "../../../postgres.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;

/** A migration written to run again on a database that may hold its tables. */
async function migrate(sql: PostgresSql): Promise<void> {
  await sql.unsafe(`
    drop table if exists orders;
    create table orders (id serial primary key, item text not null);
    insert into orders (item) values ('seeded');
    alter table if exists invoices_archive add column note text;
    drop function if exists user_discount(int);
    create or replace function order_total() returns int
      language sql as 'select 42';
    drop type if exists order_status cascade;
    create type order_status as enum ('new', 'paid');
  `);
}

/** What a test does with its database, by unqualified names only. */
async function useDatabase(db: PostgresDatabase): Promise<void> {
  await db.sql`insert into orders (item) values ('from the test')`;
  await db.sql`update orders set item = 'changed' where item = 'seeded'`;
  await db.sql`delete from orders where item = 'changed'`;
  const items = await db.sql<{ item: string }[]>`
    select item from orders order by id`;
  assert.deepEqual(items.map((r) => r.item), ["from the test"]);
  const [total] = await db.sql<{ total: number }[]>`
    select order_total() as total`;
  assert.equal(total?.total, 42);
  const [where] = await db.sql<{ schema: string; database: string }[]>`
    select n.nspname as schema, current_database() as database
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = 'orders'::regclass`;
  assert.deepEqual(where, { schema: db.schema, database: db.database });
  // The user's own objects do not resolve (savepoints in "transaction").
  await assert.rejects(
    () => db.sql.begin((tx) => tx`delete from invoices_archive`),
    /relation "invoices_archive" does not exist/,
  );
  await assert.rejects(
    () => db.sql.begin((tx) => tx`select user_discount(50)`),
    /function user_discount\(integer\) does not exist/,
  );
  // Nor for the app's own pool from db.url (autocommit: a delete that
  // resolved would be committed, whatever the level).
  const app = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await assert.rejects(
      () => app`delete from invoices_archive`,
      /relation "invoices_archive" does not exist/,
    );
    await assert.rejects(
      () => app`update order_states set status = null`,
      /relation "order_states" does not exist/,
    );
    const [total] = await app<{ total: number }[]>`
      select order_total() as total`;
    assert.equal(total?.total, 42);
  } finally {
    await app.end();
  }
  // Nor for a libpq client given db.env() (PGOPTIONS carries the path).
  const psql = await new Deno.Command("psql", {
    args: ["-X", "-v", "ON_ERROR_STOP=1", "-c", "delete from invoices_archive"],
    env: db.env(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const psqlOutput = new TextDecoder().decode(psql.stderr);
  assert.equal(psql.code, 1, psqlOutput);
  assert.match(psqlOutput, /relation "invoices_archive" does not exist/);
}

const fixture = {
  db: postgresDatabase.fixture({ isolation, migrate, name: "user-objects" }),
};
const permissions = { env: true, run: ["psql"] };

for (const n of [1, 2]) {
  integration(
    `${isolation}: a re-runnable migration and unqualified writes, test ${n}`,
    { permissions, fixtures: fixture },
    async (_t, { db }) => await useDatabase(db),
  );
}

Deno.test(`${isolation}: the same from a standalone fixture`, async () => {
  await using db = await postgresDatabase({
    isolation,
    migrate,
    name: "user-objects",
  });
  await useDatabase(db);
});

if (isolation === "schema") {
  Deno.test("schema: two standalone fixtures at once (one on a pool of its own)", async () => {
    await using first = await postgresDatabase({ isolation, migrate });
    await using second = await postgresDatabase({ isolation, migrate });
    assert.notEqual(first.schema, second.schema);
    await useDatabase(first);
    await useDatabase(second);
  });
}
