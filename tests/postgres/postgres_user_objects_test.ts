// Issue 26, point 1: a database fixture against a database that also holds
// the user's own objects (some named like the toolkit's) must leave every one
// of them exactly as it was, in every isolation level, and so must the
// leftover check and the sweep. On a private server: the sweep below removes
// whatever is old enough, and the user's databases are cluster-wide.
import assert from "node:assert/strict";
import {
  type PostgresConfig,
  postgresDatabase,
  postgresUrl,
} from "../../postgres.ts";
import {
  listPostgresLeftovers,
  startPostgresServer,
  sweep,
} from "../../services.ts";
import { refuseProduction } from "../../src/postgres/_production_guard.ts";
import { withAdmin } from "../_shared/services.ts";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];

/** The user's database, which DATABASE_URL names. */
const SHOP = "shop";
/** A database of the user's named like the toolkit's. */
const ARCHIVE = "itkit_archive";

/** The user's objects, by database. */
const USER_OBJECTS: Record<string, string> = {
  [SHOP]: `
    create extension citext;
    create table orders (id serial primary key, item text not null, qty int not null default 1);
    insert into orders (item, qty) values ('apples', 3), ('pears', 5), ('plums', 7);
    create table invoices_archive (id int primary key, total numeric not null, email citext);
    insert into invoices_archive values (1, 10.5, 'A@example.com'), (2, 99, null);
    create type order_status as enum ('open', 'closed');
    create table order_states (order_id int, status order_status);
    insert into order_states values (1, 'open'), (2, 'closed');
    create function order_total() returns int language sql as 'select 1';
    create function user_discount(int) returns int language sql as 'select $1 / 10';
    create schema itkit;
    create table itkit.settings (k text primary key, v text);
    insert into itkit.settings values ('theme', 'dark');
    create schema itkit_audit;
    create table itkit_audit.log (id serial primary key, what text);
    insert into itkit_audit.log (what) values ('created'), ('paid');
    create schema itkit_reset;
    create table itkit_reset.dirty (t text);
    insert into itkit_reset.dirty values ('mine');`,
  [ARCHIVE]: `
    create table orders (id int primary key, item text);
    insert into orders values (1, 'old apples');
    create schema itkit;
    create table itkit.settings (k text primary key, v text);
    insert into itkit.settings values ('archived', 'yes');`,
};

/** What a toolkit fixture names its schemas and databases. */
const TOOLKIT_NAME = "^itkit(_tpl)?_[0-9a-z]{12,13}_[0-9]+$";

/**
 * Everything the user owns in `database`: schemas, relations and their
 * columns, functions, types, extensions, triggers, sequences, and every
 * table's rows. Toolkit-named schemas are left out (their removal is the
 * leftover check's business).
 */
async function snapshot(
  pg: PostgresConfig,
  database: string,
): Promise<unknown> {
  const user = `n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
    and n.nspname !~ '${TOOLKIT_NAME}'`;
  return await withAdmin(
    async (sql) => {
      const query = (text: string) => sql.unsafe(text);
      const tables = await query(`
      select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and ${user} order by 1`);
      const rows: Record<string, unknown> = {};
      for (const { name } of tables) {
        const [row] = await query(
          `select coalesce(jsonb_agg(t order by t::text), '[]') as rows from ${name} t`,
        );
        rows[name] = row?.rows;
      }
      return {
        schemas: await query(`
        select n.nspname, pg_get_userbyid(n.nspowner) as owner
        from pg_namespace n where ${user} order by 1`),
        columns: await query(`
        select n.nspname, c.relname, c.relkind, a.attnum, a.attname,
          format_type(a.atttypid, a.atttypmod) as type, a.attnotnull
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
          and not a.attisdropped
        where ${user} order by 1, 2, 4`),
        functions: await query(`
        select n.nspname, p.proname,
          pg_get_function_identity_arguments(p.oid) as args, p.prosrc
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where ${user} order by 1, 2, 3`),
        types: await query(`
        select n.nspname, t.typname, t.typtype,
          array(select e.enumlabel from pg_enum e where e.enumtypid = t.oid
            order by e.enumsortorder) as labels
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where ${user} order by 1, 2`),
        extensions: await query(`
        select x.extname, x.extversion, n.nspname
        from pg_extension x join pg_namespace n on n.oid = x.extnamespace
        order by 1`),
        triggers: await query(`
        select g.tgrelid::regclass::text as table, g.tgname
        from pg_trigger g where not g.tgisinternal order by 1, 2`),
        sequences: await query(`
        select schemaname, sequencename, last_value from pg_sequences
        where schemaname !~ '${TOOLKIT_NAME}' order by 1, 2`),
        rows,
      };
    },
    database,
    pg,
  );
}

/** The server's databases that are not the toolkit's. */
async function databases(pg: PostgresConfig): Promise<string[]> {
  const rows = await withAdmin(
    (sql) =>
      sql<{ datname: string }[]>`
        select datname from pg_database
        where datname !~ ${TOOLKIT_NAME} order by 1`,
    undefined,
    pg,
  );
  return rows.map((r) => r.datname);
}

/** Everything of the user's on the server. */
async function userState(pg: PostgresConfig): Promise<unknown> {
  return {
    databases: await databases(pg),
    [SHOP]: await snapshot(pg, SHOP),
    [ARCHIVE]: await snapshot(pg, ARCHIVE),
  };
}

/** (Re)creates the user's databases and fills them. */
async function fillUserDatabases(pg: PostgresConfig): Promise<void> {
  for (const [database, objects] of Object.entries(USER_OBJECTS)) {
    await withAdmin(
      async (sql) => {
        await sql`drop database if exists ${sql(database)} with (force)`;
        await sql`create database ${sql(database)}`;
      },
      undefined,
      pg,
    );
    await withAdmin((sql) => sql.unsafe(objects), database, pg);
  }
}

Deno.test("no isolation level lets a test's migration or unqualified queries touch the user's objects, and the leftover check and sweep leave those named like the toolkit's", async (t) => {
  await using server = await startPostgresServer();
  const pg = server.config;
  const url = postgresUrl({ ...pg, database: SHOP }, true);
  for (
    const [isolation, tests] of [
      ["transaction", 3],
      ["schema", 4],
      ["truncate", 3],
      ["database", 3],
    ] as const
  ) {
    await t.step(`isolation "${isolation}"`, async () => {
      await fillUserDatabases(pg);
      const before = await userState(pg);
      const run = await runDenoTest(["postgres_user_objects.ts"], {
        args: SANITIZE,
        env: { ISOLATION: isolation, DATABASE_URL: url },
      });
      // First what became of the user's objects, then how the tests fared.
      assert.deepEqual(await userState(pg), before);
      expectRun(
        run,
        run.code === 0 && run.passed === tests,
        `${tests} tests should pass`,
      );
    });
  }
  await t.step("the leftover check and the sweep", async () => {
    const before = await userState(pg);
    // The user's databases and schemas are leftovers of a fresh server, by
    // name: listed (for a server a run started), never removed.
    // Nothing of the toolkit's is left either.
    const userLeftovers = [
      `database ${ARCHIVE}`,
      `database ${SHOP}`,
      `schema ${ARCHIVE}.itkit`,
      `schema ${SHOP}.itkit`,
      `schema ${SHOP}.itkit_audit`,
      `schema ${SHOP}.itkit_reset`,
    ];
    assert.deepEqual((await listPostgresLeftovers(pg)).sort(), userLeftovers);
    // Beside them, what a killed run of the toolkit left: the sweep removes
    // those, and only those.
    const runId = (Date.now() - 5_000).toString(36) + "beef";
    await withAdmin(
      (sql) => sql`create database ${sql(`itkit_${runId}_1`)}`,
      undefined,
      pg,
    );
    await withAdmin(
      (sql) => sql`create schema ${sql(`itkit_${runId}_2`)}`,
      SHOP,
      pg,
    );
    const report = await sweep({
      postgres: pg,
      s3: false,
      tmpDir: false,
      olderThan: 0,
    });
    assert.deepEqual({ removed: report.removed, failed: report.failed }, {
      removed: [`database itkit_${runId}_1`, `schema ${SHOP}.itkit_${runId}_2`],
      failed: [],
    });
    assert.deepEqual(await userState(pg), before);
    assert.deepEqual((await listPostgresLeftovers(pg)).sort(), userLeftovers);
  });
});

Deno.test("a DATABASE_URL naming a production database is refused at declaration, before any connection, unless ITKIT_ALLOW_PRODUCTION_DATABASE=1", async () => {
  const port = closedPort();
  const url = `postgres://app:s3cret@127.0.0.1:${port}/shop_production`;
  const refused = await runDenoTest(["postgres_user_objects.ts"], {
    args: SANITIZE,
    env: { ISOLATION: "schema", DATABASE_URL: url },
  });
  expectRun(refused, refused.code !== 0, "the module must fail to load");
  assert.ok(
    refused.output.includes(
      `TypeError: Cannot create postgresDatabase fixture: DATABASE_URL "postgres://app:***@127.0.0.1:${port}/shop_production" names a production database "shop_production" (expected a development or test server and database, e.g. app_test; set ITKIT_ALLOW_PRODUCTION_DATABASE=1 if this one is meant for tests)`,
    ),
    refused.output,
  );
  assert.ok(!refused.output.includes("s3cret"));
  // Let through, the tests try the server (nothing listens there).
  const allowed = await runDenoTest(["postgres_user_objects.ts"], {
    args: SANITIZE,
    env: {
      ISOLATION: "schema",
      DATABASE_URL: url,
      ITKIT_ALLOW_PRODUCTION_DATABASE: "1",
    },
  });
  expectRun(allowed, allowed.failed === 4, "4 tests should fail to connect");
  assert.ok(!allowed.output.includes("names a production"), allowed.output);
  assert.ok(
    allowed.output.includes(
      `Cannot use PostgreSQL at postgres://app:***@127.0.0.1:${port}/shop_production: connect ECONNREFUSED`,
    ),
    allowed.output,
  );
});

Deno.test("a server or database is production by a whole name segment only", () => {
  const config = {
    host: "127.0.0.1",
    port: 5432,
    user: "app",
    password: "s3cret",
    database: "app",
  };
  assert.throws(
    () =>
      postgresDatabase.fixture({
        config: { ...config, host: "db.prod.example.com" },
      }),
    new TypeError(
      'Cannot create postgresDatabase fixture: config "postgres://app:***@db.prod.example.com:5432/app" names a production host "db.prod.example.com" (expected a development or test server and database, e.g. app_test; set ITKIT_ALLOW_PRODUCTION_DATABASE=1 if this one is meant for tests)',
    ),
  );
  for (const database of ["prod", "App-Production", "shop.prod"]) {
    assert.throws(
      () => postgresDatabase.fixture({ config: { ...config, database } }),
      /names a production database/,
      database,
    );
  }
  for (
    const database of [
      "reproduction",
      "products",
      "prodigy",
      "shop_test",
      "app",
    ]
  ) {
    refuseProduction({ ...config, database }, true);
  }
});
