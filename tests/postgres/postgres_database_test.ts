import assert from "node:assert/strict";
import { postgresDatabase, probePostgres } from "../../postgres.ts";
import {
  itkitObjects,
  PG,
  terminateBackend,
  withAdmin,
} from "../_shared/services.ts";
import {
  closedPort,
  expectRun,
  runDenoTest,
  runInlineTest,
} from "../_shared/harness.ts";

/** Run inline by the tests below. */
const POSTGRES_DATABASE_ERRORS = `import { integration } from "@itkit/core";
import { postgresDatabase } from "@itkit/core/postgres";

integration("migration fails", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "database",
      migrate: (sql) => sql\`insert into missing values (1)\`,
    }),
  },
}, () => {});

integration("no CREATEDB privilege", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
}, () => {});
`;

Deno.test("transaction isolation rolls everything back and keeps it private", async () => {
  {
    await using db = await postgresDatabase({
      config: PG,
      isolation: "transaction",
      migrate: (sql) => sql`create table tx_items (name text)`,
    });
    await db.sql`insert into tx_items values ('a')`;
    // Another connection does not see the uncommitted table.
    const outside = await withAdmin((sql) =>
      sql`select to_regclass('public.tx_items') as t`
    );
    assert.equal(outside[0]!.t, null);
    // A nested transaction is a savepoint: its failure undoes only itself.
    await assert.rejects(() =>
      db.sql.begin(async (sql) => {
        await sql`insert into tx_items values ('b')`;
        throw new Error("undo b");
      })
    );
    await db.sql.begin(async (sql) => {
      await sql`insert into tx_items values ('c')`;
    });
    const rows = await db.sql<
      { name: string }[]
    >`select name from tx_items order by name`;
    assert.deepEqual(rows.map((r) => r.name), ["a", "c"]);
  }
  const after = await withAdmin((sql) =>
    sql`select to_regclass('public.tx_items') as t`
  );
  assert.equal(after[0]!.t, null);
});

Deno.test("schema isolation creates a schema on the search path and drops it", async () => {
  let schema: string;
  {
    await using db = await postgresDatabase({
      config: PG,
      isolation: "schema",
      migrate: (sql) => sql`create table items (name text)`,
    });
    schema = db.schema;
    assert.match(schema, /^itkit_[0-9a-z]{12,13}_\d+$/);
    await db.sql`insert into items values ('x')`;
    const tables = await withAdmin((sql) =>
      sql`select table_schema from information_schema.tables where table_name = 'items'`
    );
    assert.deepEqual(tables.map((t) => t.table_schema), [schema]);
  }
  assert.ok(!(await itkitObjects()).includes(`schema ${schema}`));
});

Deno.test("a migration failure is reported and leaves no schema behind", async () => {
  const before = await itkitObjects();
  await assert.rejects(
    () =>
      postgresDatabase({
        config: PG,
        isolation: "schema",
        migrate: (sql) => sql`create table broken (`,
      }),
    /^Error: migration failed: syntax error at end of input/,
  );
  assert.deepEqual(await itkitObjects(), before);
});

Deno.test("a server that closes the connection mid-test fails the query, and cleanup still completes", async () => {
  {
    await using db = await postgresDatabase({
      config: PG,
      isolation: "transaction",
    });
    const { pid } = (await db.sql<
      { pid: number }[]
    >`select pg_backend_pid() as pid`)[0]!;
    await terminateBackend(pid);
    await assert.rejects(
      async () => await db.sql`select 1`,
      new Error(
        'Cannot query: the server closed the connection during the test, and the test\'s transaction is gone with it (isolation "transaction")',
      ),
    );
  }
  let schema: string;
  {
    await using db = await postgresDatabase({
      config: PG,
      isolation: "schema",
      max: 1,
    });
    schema = db.schema;
    await db.sql`create table t (x int)`;
    const { pid } = (await db.sql<
      { pid: number }[]
    >`select pg_backend_pid() as pid`)[0]!;
    await terminateBackend(pid);
    // postgres.js has seen the close: the next query reconnects, with the
    // schema still the search path; cleanup drops the schema.
    assert.equal((await db.sql`select * from t`).length, 0);
  }
  assert.ok(!(await itkitObjects()).includes(`schema ${schema}`));
});

// Probes run at module load, as in a user's test module (postgres.js may
// still be retrying a failed connection attempt when a probe has its answer;
// at module load that is outside any test's sanitizers).
const refusedPort = closedPort();
const probes = {
  ok: await probePostgres(PG),
  refused: await probePostgres({ ...PG, port: refusedPort }),
  badPassword: await probePostgres({ ...PG, password: "wrong" }),
  missingDatabase: await probePostgres({ ...PG, database: "no_such_db" }),
};

Deno.test("probePostgres() tells refused, bad credentials and missing database apart", () => {
  assert.equal(probes.ok.reason, "ok");
  assert.equal(
    probes.refused.reason,
    `connection refused 127.0.0.1:${refusedPort}`,
  );
  assert.equal(
    probes.badPassword.reason,
    `bad credentials (password authentication failed for user "${PG.user}")`,
  );
  assert.equal(
    probes.missingDatabase.reason,
    'database "no_such_db" does not exist',
  );
});

/**
 * What a run left in its own temp dir (the helpers' drops and ready files
 * are made there): a dir of the test's, since files running beside it share
 * the suite's temp dir.
 */
function leftIn(tmp: string): string[] {
  return [...Deno.readDirSync(tmp)].map((e) => e.name);
}

/** A temp dir for one run (world-writable: helpers may run as another user). */
async function privateTmp(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "itkit-test-tmp-" });
  await Deno.chmod(path, 0o1777);
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

Deno.test("database isolation clones one template per process and leaves nothing behind", async () => {
  const before = await itkitObjects();
  await using tmp = await privateTmp();
  const run = await runDenoTest(["postgres_database_mode.ts"], {
    env: { TMPDIR: tmp.path },
  });
  expectRun(
    run,
    run.code === 0 && run.passed === 5,
    "4 database-mode tests and the one after them should pass",
  );
  const clones = [...run.output.matchAll(/CLONE (\S+) FROM (\S+) MAX (\d+)/g)];
  assert.equal(clones.length, 4);
  assert.equal(
    new Set(clones.map((c) => c[1])).size,
    4,
    "each test gets its own database",
  );
  assert.deepEqual(
    clones.map((c) => c[3]),
    ["4", "4", "4", "1"],
    "each test's pool has the size it declared",
  );
  assert.equal(
    new Set(clones.map((c) => c[2])).size,
    1,
    "one template for the process",
  );
  // Released clones wait while the module's database tests run (no DROP
  // DATABASE competes with them), and are dropped once the last one has
  // ended, while the module still runs (the helper reads the names, and then
  // the end, that the test process appends to its drops file).
  assert.match(run.output, /FIRST CLONE HELD true/);
  assert.match(run.output, /FIRST CLONE DROPPED true/);
  // The template is dropped by the clone helper when the test process
  // exits; runDenoTest waited until it said it exited and was gone.
  assert.deepEqual(run.reaperFailed, []);
  assert.deepEqual([
    ...(await itkitObjects()).filter((o) => !before.includes(o)),
    ...leftIn(tmp.path).filter((f) => !f.startsWith("itkit-reaper-")),
  ], []);
});

Deno.test("database isolation drops no released clone while the module's database tests run, up to 64 of them", async () => {
  const before = await itkitObjects();
  const run = await runInlineTest({
    "postgres_database_held.ts": `import { integration } from "@itkit/core";
import { postgresDatabase } from "@itkit/core/postgres";

// 40 database tests: the clones the first 39 released are all still there
// while the last one runs (no DROP DATABASE beside the module's tests), even
// after it waits long enough for a drop to have finished.
const clones: string[] = [];
for (let i = 1; i <= 40; i++) {
  integration(\`held \${i}\`, {
    fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
  }, async (_t, { db }) => {
    if (i < 40) {
      clones.push(db.database);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
    const rows = await db.sql<{ datname: string }[]>\`
      select datname from pg_database where datname in \${db.sql(clones)}\`;
    console.log(
      \`RELEASED CLONES STILL THERE \${rows.length} OF \${clones.length}\`,
    );
  });
}
`,
  });
  expectRun(run, run.code === 0 && run.passed === 40, "40 tests should pass");
  assert.match(run.output, /RELEASED CLONES STILL THERE 39 OF 39/);
  // runDenoTest waited for the clone helper, which drops them when the
  // process ends.
  assert.deepEqual(run.reaperFailed, []);
  assert.deepEqual(
    (await itkitObjects()).filter((o) => !before.includes(o)),
    [],
    "the helper drops them when the process ends",
  );
});

Deno.test("database isolation reports a migration failure and drops the half-built template", async () => {
  const before = await itkitObjects();
  const run = await runInlineTest({
    "postgres_database_errors.ts": POSTGRES_DATABASE_ERRORS,
  }, {
    args: ["--filter", "migration"],
  });
  expectRun(run, run.failed === 1, "the test must fail");
  assert.match(
    run.output,
    /fixture "db" \(postgresDatabase\) failed to set up: Cannot build template database "itkit_tpl_[0-9a-z]+_\d+": migration failed: relation "missing" does not exist \(the template was dropped\)/,
  );
  assert.deepEqual(await itkitObjects(), before);
});

Deno.test("database isolation without CREATEDB suggests truncate or schema isolation", async () => {
  const role = `itkit_nocreatedb_${crypto.randomUUID().slice(0, 6)}`;
  await withAdmin((sql) => sql`create role ${sql(role)} login password 'pw'`);
  try {
    const run = await runInlineTest({
      "postgres_database_errors.ts": POSTGRES_DATABASE_ERRORS,
    }, {
      args: ["--filter", "CREATEDB"],
      env: {
        DATABASE_URL: `postgres://${role}:pw@${PG.host}:${PG.port}/postgres`,
      },
    });
    expectRun(run, run.failed === 1, "the test must fail");
    assert.match(
      run.output,
      new RegExp(
        `Cannot create a database as user "${role}" on 127\\.0\\.0\\.1:${PG.port}: the role lacks the CREATEDB privilege \\(grant it with ALTER ROLE ${role} CREATEDB, or use isolation "truncate" or "schema"\\)`,
      ),
    );
  } finally {
    await withAdmin((sql) => sql`drop role ${sql(role)}`);
  }
});
