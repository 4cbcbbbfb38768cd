// Issue 9: connections and migrations once per process, isolation per test,
// a URL for the code under test, and the bugs around them.
import assert from "node:assert/strict";
import {
  postgresDatabase,
  type PostgresIsolation,
  type PostgresSql,
} from "../../postgres.ts";
import { listPostgresLeftovers } from "../../services.ts";
import {
  itkitObjects,
  PG,
  terminateBackend,
  withAdmin,
} from "../_shared/services.ts";
import { expectRun, runDenoTest, runInlineTest } from "../_shared/harness.ts";
import { waitForReapers } from "../../src/run/reaper.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];

/**
 * What the run created and is still there: read once its reapers and clone
 * helpers have exited (runDenoTest waits for them), so nothing is still
 * dropping it.
 */
async function leftoversSince(before: string[]): Promise<string[]> {
  return (await itkitObjects()).filter((o) => !before.includes(o));
}

for (
  const [isolation, migrations, backends] of [
    ["transaction", 1, 1],
    ["schema", 4, 1],
    ["truncate", 1, 1],
    ["database", 1, 4],
  ] as const
) {
  Deno.test(`isolation "${isolation}": ${migrations} migration(s) and ${backends} backend(s) for 4 tests, sanitizer-clean, nothing left`, async () => {
    const before = await itkitObjects();
    const run = await runDenoTest(["postgres_suite.ts"], {
      args: SANITIZE,
      env: { ISOLATION: isolation },
    });
    expectRun(run, run.code === 0 && run.passed === 4, "4 tests should pass");
    assert.equal(run.output.match(/^MIGRATE$/gm)?.length, migrations);
    const pids = new Set(run.output.match(/^PID \d+$/gm));
    assert.equal(pids.size, backends);
    assert.deepEqual(await leftoversSince(before), []);
  });
}

for (const isolation of ["schema", "truncate", "database"] as const) {
  Deno.test(`isolation "${isolation}": an app with its own pool from DATABASE_URL works unchanged`, async () => {
    const before = await itkitObjects();
    const run = await runDenoTest(["postgres_app.ts"], {
      args: SANITIZE,
      env: { ISOLATION: isolation },
    });
    expectRun(run, run.code === 0 && run.passed === 3, "3 tests should pass");
    // Each test starts from the migrated state: one seeded row, then its own.
    assert.equal(run.output.match(/^APP \w+ id=2 /gm)?.length, 3);
    assert.deepEqual(await leftoversSince(before), []);
  });
}

Deno.test('isolation "truncate": each test starts from the migrated rows and sequences, with foreign keys and DELETE triggers', async () => {
  const before = await itkitObjects();
  const run = await runDenoTest(["postgres_truncate.ts"], { args: SANITIZE });
  expectRun(run, run.code === 0 && run.passed === 3, "3 tests should pass");
  assert.deepEqual(await leftoversSince(before), []);
});

Deno.test('isolation "truncate": tables referencing a changed one are emptied only when they hold migrated rows, a sequence moved by a failed insert is set back, a table changed test after test on the same connections is reset each time, and the app\'s statement-level DELETE triggers never fire at the reset', async () => {
  const before = await itkitObjects();
  const run = await runDenoTest(["postgres_truncate_references.ts"], {
    args: SANITIZE,
  });
  expectRun(run, run.code === 0 && run.passed === 7, "7 tests should pass");
  assert.deepEqual(await leftoversSince(before), []);
});

Deno.test('isolation "transaction": an app committing on its own pool fails its test, and the next test starts clean', async () => {
  const before = await itkitObjects();
  const run = await runDenoTest(["postgres_app.ts"], {
    args: SANITIZE,
    env: { ISOLATION: "transaction" },
  });
  expectRun(run, run.failed === 3, "all 3 tests should fail");
  // Each test saw only the seeded row and its own: the schema was rebuilt.
  assert.equal(run.output.match(/^APP \w+ id=2 /gm)?.length, 3);
  assert.match(
    run.output,
    /The code under test committed writes to the migrated tables outside the test's transaction \(on a connection of its own, e\.g\. a pool opened from db\.url\) \(isolation "transaction"\); the migrated schema "itkit_\w+" was dropped and is rebuilt for the next test\. Code that commits or opens its own connections needs isolation "truncate", "schema" or "database"\./,
  );
  assert.deepEqual(await leftoversSince(before), []);
});

Deno.test('isolation "transaction": a COMMIT by the code under test fails the test and leaves nothing', async () => {
  const before = await itkitObjects();
  const run = await runDenoTest(["postgres_commit.ts"], { args: SANITIZE });
  expectRun(run, run.failed === 1 && run.passed === 1, "1 fails, 1 passes");
  assert.match(
    run.output,
    /commits the test's transaction \.\.\. FAILED[\s\S]*The code under test ended the test's transaction \(a COMMIT, ROLLBACK or END on the test's connection\), so what it wrote after that was committed \(isolation "transaction"\)/,
  );
  assert.deepEqual(await leftoversSince(before), []);
});

for (const isolation of ["transaction", "schema", "truncate"] as const) {
  Deno.test(`isolation "${isolation}": a timed-out query is cancelled, so cleanup ends (not after pg_sleep(80))`, async () => {
    const before = await itkitObjects();
    const started = Date.now();
    const run = await runDenoTest(["postgres_timeout.ts"], {
      args: SANITIZE,
      env: { ISOLATION: isolation },
    });
    const seconds = (Date.now() - started) / 1000;
    expectRun(
      run,
      run.failed === 1 && run.passed === 1,
      "the stuck test must fail",
    );
    assert.match(run.output, /Test timeout of 3000 ms exceeded in the body/);
    // Not a speed assertion: without the cancel, the run takes 80 s.
    assert.ok(seconds < 40, `the run took ${seconds} s`);
    assert.deepEqual(await leftoversSince(before), []);
  });
}

Deno.test("url and env() carry the real password and land in the test's schema", async () => {
  await using db = await postgresDatabase({
    config: PG,
    isolation: "schema",
    migrate: (sql) => sql`create table t (x int)`,
  });
  const url = new URL(db.url);
  assert.equal(decodeURIComponent(url.password), PG.password);
  assert.equal(url.searchParams.get("options"), `-c search_path=${db.schema}`);
  const env = db.env();
  assert.equal(env.DATABASE_URL, db.url);
  assert.equal(env.PGPASSWORD, PG.password);
  assert.equal(env.PGDATABASE, db.database);
  assert.equal(env.PGOPTIONS, `-c search_path=${db.schema}`);
  const postgres = (await import("postgres")).default;
  const app = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const { path } = (await app<
      { path: string }[]
    >`select current_setting('search_path') as path`)[0]!;
    assert.equal(path, db.schema);
    await app`insert into t values (1)`;
  } finally {
    await app.end();
  }
  const rows = await db.sql`select x from t`;
  assert.equal(rows.length, 1);
});

Deno.test('isolation "transaction": sql.reserve() and sql.begin() work as savepoints', async () => {
  await using db = await postgresDatabase({
    config: PG,
    isolation: "transaction",
    migrate: (sql) => sql`create table r (x int)`,
  });
  const reserved = await db.sql.reserve();
  await reserved`insert into r values (1)`;
  reserved.release();
  await assert.rejects(() =>
    db.sql.begin(async (tx) => {
      await tx`insert into r values (2)`;
      await tx.savepoint(async (sp) => {
        await sp`insert into r values (3)`;
      });
      throw new Error("undo 2 and 3");
    })
  );
  const rows = await db.sql<{ x: number }[]>`select x from r order by x`;
  assert.deepEqual(rows.map((r) => r.x), [1]);
  await assert.rejects(
    () => db.sql.listen("chan", () => {}),
    /Cannot listen\(\) in isolation "transaction"/,
  );
});

Deno.test('isolation "transaction": a client held on to after its test fails clearly, also inside the next test', async () => {
  // The connection is kept for the next test (its client, search path and
  // server process set up once); what the ended test held must not reach it.
  const migrate = (sql: PostgresSql) => sql`create table k (x int)`;
  let stale: PostgresSql;
  let staleReserved: PostgresSql;
  let staleTx: PostgresSql;
  let pid: number;
  {
    await using db = await postgresDatabase({
      config: PG,
      isolation: "transaction",
      migrate,
    });
    stale = db.sql;
    staleReserved = (await db.sql.reserve()) as unknown as PostgresSql;
    await db.sql.begin((tx) => {
      staleTx = tx as unknown as PostgresSql;
      return tx`insert into k values (1)`;
    });
    pid = (await db.sql`select pg_backend_pid() as pid`)[0]!.pid as number;
  }
  await assert.rejects(
    async () => await stale`select 1`,
    /Cannot query: the test this client was handed to has ended/,
  );
  await using next = await postgresDatabase({
    config: PG,
    isolation: "transaction",
    migrate,
  });
  await assert.rejects(
    async () => await stale`insert into k values (2)`,
    /Cannot query: the test this client was handed to has ended/,
  );
  await assert.rejects(
    async () => await stale.unsafe("insert into k values (3)"),
    /has ended/,
  );
  // Nor what it handed out: a reserved client, a transaction's client.
  await assert.rejects(
    async () => await staleReserved`insert into k values (4)`,
    /has ended/,
  );
  await assert.rejects(
    async () => await staleTx`insert into k values (5)`,
    /has ended/,
  );
  assert.equal((await next.sql`select x from k`).length, 0);
  // The same server process served both tests: the connection was kept.
  const again = (await next.sql`select pg_backend_pid() as pid`)[0]!.pid;
  assert.equal(again, pid);
});

Deno.test("a migration with its own BEGIN … COMMIT runs on one connection in every level", async () => {
  for (const isolation of ["transaction", "schema"] as PostgresIsolation[]) {
    await using db = await postgresDatabase({
      config: PG,
      isolation,
      migrate: async (sql) => {
        await sql`begin`;
        await sql`create table m (x int)`;
        await sql`insert into m values (1)`;
        await sql`commit`;
        await sql.begin(async (tx) => {
          await tx`insert into m values (2)`;
        });
      },
    });
    const rows = await db.sql`select x from m`;
    assert.equal(rows.length, 2, isolation);
  }
});

Deno.test('the connection lost inside sql.begin() (isolation "transaction") fails the next query clearly', async () => {
  await using db = await postgresDatabase({
    config: PG,
    isolation: "transaction",
  });
  await assert.rejects(
    () =>
      db.sql.begin(async (tx) => {
        const { pid } = (await tx<
          { pid: number }[]
        >`select pg_backend_pid() as pid`)[0]!;
        await terminateBackend(pid);
        await tx`select 1`;
      }),
    new Error(
      'Cannot query: the server closed the connection during the test, and the test\'s transaction is gone with it (isolation "transaction")',
    ),
  );
});

Deno.test('the connection lost at any moment of sql.begin() (isolation "transaction") fails it clearly, never hangs, and the next test runs', async () => {
  // The backend is terminated without waiting for it to be gone: the next
  // query may be sent before the client has read the close (it then fails
  // with the socket's or the server's error, or waits in postgres.js's
  // queue), and must still end as the guard's error, every time.
  for (let round = 0; round < 20; round++) {
    {
      await using db = await postgresDatabase({
        config: PG,
        isolation: "transaction",
      });
      await assert.rejects(
        () =>
          db.sql.begin(async (tx) => {
            const { pid } = (await tx<
              { pid: number }[]
            >`select pg_backend_pid() as pid`)[0]!;
            await withAdmin((sql) => sql`select pg_terminate_backend(${pid})`);
            await tx`select 1`;
            await tx`select 2`;
          }),
        new Error(
          'Cannot query: the server closed the connection during the test, and the test\'s transaction is gone with it (isolation "transaction")',
        ),
      );
    }
    // The next test gets a working connection.
    await using next = await postgresDatabase({
      config: PG,
      isolation: "transaction",
    });
    assert.deepEqual([...await next.sql`select 1 as one`], [{ one: 1 }]);
  }
});

Deno.test("a probe that runs out of budget on a server that never answers reports it, and the module's tests still run", async () => {
  const run = await runInlineTest({
    "postgres_probe_hang.ts":
      `// A server that accepts connections and never answers: the probe gives up on
// its budget, and the module's tests are still registered and reported.
import { integration } from "@itkit/core";
import { probePostgres } from "@itkit/core/postgres";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const held: Deno.Conn[] = [];
(async () => {
  for await (const conn of listener) held.push(conn);
})();
const port = (listener.addr as Deno.NetAddr).port;
const hung = await probePostgres(
  { host: "127.0.0.1", port, user: "u", password: "p", database: "d" },
  { timeout: 300 },
);
console.log(\`PROBE \${hung.reason}\`);

integration("needs the hung server", { requires: [hung] }, () => {});
integration("runs anyway", () => {});
`,
  }, { args: SANITIZE });
  expectRun(run, run.passed === 1 && run.ignored === 1, "1 passes, 1 ignored");
  assert.match(run.output, /^PROBE timed out after 300 ms$/m);
});

/**
 * Runs `deno test` on a test project, with a reaper log of its own, until it
 * prints `marker`; the caller then kills it (SIGKILL) with `kill()`, which
 * returns once the run's reapers and clone helpers, which remove what it
 * left, have exited, with what they failed to do.
 */
async function runUntil(
  file: string,
  marker: RegExp,
): Promise<{ output: string; kill(): Promise<string[]> }> {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", `tests/postgres/testdata/${file}`],
    cwd: new URL("../..", import.meta.url),
    env: { NO_COLOR: "1", ITKIT_REAPER_LOG: log },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!marker.test(output)) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
  }
  return {
    output,
    async kill(): Promise<string[]> {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      try {
        return (await waitForReapers(log)).failed;
      } finally {
        await Deno.remove(log);
      }
    },
  };
}

Deno.test("a template being built when the process is killed is dropped", async () => {
  const before = await itkitObjects();
  const run = await runUntil(
    "postgres_template_kill.ts",
    /TEMPLATE itkit_tpl_\w+/,
  );
  assert.deepEqual(await run.kill(), []);
  assert.match(run.output, /TEMPLATE itkit_tpl_\w+/);
  assert.deepEqual(await leftoversSince(before), []);
});

Deno.test('isolation "transaction": the migrated schema of a killed process is dropped (by the reaper)', async () => {
  const before = await itkitObjects();
  const run = await runUntil("postgres_schema_kill.ts", /SCHEMA itkit_\w+/);
  const schema = /SCHEMA (itkit_\w+)/.exec(run.output)?.[1];
  assert.ok(schema, `no schema printed:\n${run.output}`);
  assert.ok((await itkitObjects()).some((o) => o.includes(schema)));
  assert.deepEqual(await run.kill(), []);
  assert.deepEqual(await leftoversSince(before), []);
});

Deno.test('isolation "transaction": a test without a migration, or whose transaction an error aborted, ends cleanly', async () => {
  {
    await using _db = await postgresDatabase({
      config: PG,
      isolation: "transaction",
    });
  }
  await using db = await postgresDatabase({
    config: PG,
    isolation: "transaction",
    migrate: (sql) => sql`create table a (x int)`,
  });
  await assert.rejects(() => db.sql`insert into a values ('not a number')`);
  await assert.rejects(
    () => db.sql`select 1`,
    /current transaction is aborted/,
  );
  await db.close();
});

/** Eight toolkit-named databases (`itkit_<stamp>_<n>`), created now. */
async function toolkitDatabases(): Promise<{ stamp: string; names: string[] }> {
  const stamp = `itkit_${Date.now().toString(36)}beef`;
  const names = Array.from({ length: 8 }, (_, i) => `${stamp}_${i}`);
  for (const name of names) {
    await withAdmin((sql) => sql`create database ${sql(name)}`);
  }
  return { stamp, names };
}

/**
 * Drops `names` one by one with force, as a helper does, spread over a
 * moment (60 ms apart: only so that listings meet the drops at every point;
 * no assertion depends on it).
 */
async function dropOneByOne(names: string[]): Promise<void> {
  for (const name of names) {
    await new Promise((resolve) => setTimeout(resolve, 60));
    await withAdmin((sql) => sql`drop database ${sql(name)} with (force)`);
  }
}

Deno.test("the leftover check does not crash on databases a helper is dropping", async () => {
  // It must not connect to them: a forced drop closes that connection under
  // its query. Listings run until the drops are done; none may fail.
  const { names } = await toolkitDatabases();
  let dropping = true;
  const dropped = dropOneByOne(names).finally(() => dropping = false);
  let listings = 0;
  while (dropping) {
    await listPostgresLeftovers(PG);
    listings++;
  }
  await dropped;
  assert.ok(listings > 0);
});

Deno.test("the leftover check lists none of the databases once their drops are done", async () => {
  const { stamp, names } = await toolkitDatabases();
  assert.ok(
    (await listPostgresLeftovers(PG)).some((l) => l.includes(stamp)),
    "listed while they exist",
  );
  await dropOneByOne(names);
  const lines = await listPostgresLeftovers(PG);
  assert.ok(!lines.some((l) => l.includes(stamp)), lines.join("\n"));
});

Deno.test("name must be a non-empty string", () => {
  assert.throws(
    () => postgresDatabase.fixture({ name: "" }),
    new TypeError(
      'Cannot create postgresDatabase fixture: name must be a non-empty string, got ""',
    ),
  );
});
