// Issue 27: isolation "truncate" where users are: a role without CREATEDB (a
// managed PostgreSQL), PGlite (a machine with nothing installed), and a
// process without --allow-run (the permissions `cli.ts permissions` prints).
// Each runs the truncate test project (foreign keys, migrated rows,
// sequences, a DELETE trigger) and the app that commits on its own pool.
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPglite } from "../../services.ts";
import { itkitObjects, itkitObjectsSince } from "../_shared/services.ts";
import { type AppDatabase, appDatabase } from "../_shared/app_database.ts";
import { expectRun, runDenoTest, runInlineTest } from "../_shared/harness.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];
const PROJECT = ["postgres_truncate.ts", "postgres_app.ts"];

/** The app's own tables, named like those the test projects migrate. */
const USER_OBJECTS = `
  create table teams (id serial primary key, name text not null);
  insert into teams (name) values ('the user''s team');
  create table users (id serial primary key, name text not null);
  insert into users (name) values ('the user');
  create function audit_delete() returns trigger language plpgsql as
    'begin return old; end';`;

/** The app's own rows and sequences. */
function userState(app: AppDatabase): Promise<unknown> {
  return app.query(`
    select (select json_agg(t order by id) from public.teams t) as teams,
      (select json_agg(u order by id) from public.users u) as users,
      (select last_value from public.teams_id_seq) as teams_seq,
      (select last_value from public.users_id_seq) as users_seq`);
}

/** `where` as it appears in the notice (the password masked). */
function masked(url: string): string {
  return url.replace(/:[^:@/]*@/, ":***@").replace(
    /[.*+?^${}()|[\]\\]/g,
    "\\$&",
  );
}

/** The lines each test of the project prints: where it worked. */
function places(output: string): string[] {
  return [
    ...output.matchAll(/^(?:TRUNCATE|APP \w+ id=2) (db=\S+ schema=\S+)$/gm),
  ]
    .map((m) => m[1]!);
}

Deno.test('isolation "truncate" on a role without CREATEDB: a schema of the app\'s database, reset after each test, its own tables of the same names untouched', async () => {
  await using app = await appDatabase({
    createdb: false,
    objects: USER_OBJECTS,
  });
  const before = await userState(app);
  const run = await runDenoTest(PROJECT, {
    args: SANITIZE,
    env: { ISOLATION: "truncate", DATABASE_URL: app.url },
  });
  expectRun(run, run.code === 0 && run.passed === 6, "6 tests should pass");
  assert.match(
    run.output,
    new RegExp(
      `^itkit: isolation "truncate" on ${
        masked(app.url)
      }: a schema of the database, migrated once and reset after each test, instead of a database of its own, because the role "${app.config.user}" may not create databases \\(no CREATEDB\\)\\. Schema-qualified names reach the database's other schemas\\.$`,
      "m",
    ),
  );
  const where = places(run.output);
  assert.equal(where.length, 6);
  for (const place of where) {
    assert.match(
      place,
      new RegExp(`^db=${app.config.user} schema=itkit_\\w+$`),
    );
  }
  assert.ok(!run.output.includes(app.config.password), "password printed");
  assert.deepEqual(await userState(app), before);
  // runDenoTest waited for the run's reapers and helpers: dropped by now.
  assert.deepEqual(await app.itkitSchemas(), []);
});

Deno.test('isolation "truncate" on PGlite: a schema of its one database, reset after each test, dropped at the end', async () => {
  await using pglite = await startPglite();
  const url = pglite.env.DATABASE_URL!;
  const run = await runDenoTest(PROJECT, {
    args: SANITIZE,
    env: { ISOLATION: "truncate", DATABASE_URL: url },
  });
  expectRun(run, run.code === 0 && run.passed === 6, "6 tests should pass");
  assert.match(
    run.output,
    new RegExp(
      `^itkit: isolation "truncate" on ${
        masked(url)
      }: a schema of the database, migrated once and reset after each test, instead of a database of its own, because PGlite serves a single database\\. `,
      "m",
    ),
  );
  // No lease there (a lock would outlive the run): said once per process.
  const lease = run.output.split("\n").filter((l) =>
    l.startsWith("itkit: the run's lease on PostgreSQL")
  );
  assert.ok(lease.length >= 1 && lease.length <= PROJECT.length, run.output);
  assert.match(
    lease[0]!,
    /^itkit: the run's lease on PostgreSQL at 127\.0\.0\.1:\d+ is not held: it could not be taken \(the server's connections share one session \(PGlite\), where a lock would outlive the run\)\. A sweep from another process protects what this run makes there by its age only \(and by this process's open connections\)\.$/,
  );
  const where = places(run.output);
  assert.equal(where.length, 6);
  for (const place of where) {
    assert.match(place, /^db=postgres schema=itkit_\w+$/);
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // runDenoTest waited for the run's reapers and helpers: dropped by now.
    const rows = await sql`
      select nspname from pg_namespace where nspname like 'itkit%'`;
    assert.deepEqual([...rows], []);
  } finally {
    await sql.end();
  }
});

/** `cli.ts permissions [flags]` for `url`, as flags for `deno test`. */
async function printedPermissions(
  url: string,
  flags: string[],
): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "permissions", ...flags],
    cwd: new URL("../..", import.meta.url),
    env: { DATABASE_URL: url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return text.split(" ");
}

Deno.test('isolation "truncate" with the permissions `cli.ts permissions` prints: without --database-isolation (no --allow-run) a fresh schema per test, with it a database of its own', async () => {
  await using app = await appDatabase({ createdb: true });
  const databases = await itkitObjects();
  const fresh = await runDenoTest(["postgres_truncate.ts"], {
    args: SANITIZE,
    permissions: await printedPermissions(app.url, []),
    env: { DATABASE_URL: app.url },
  });
  expectRun(
    fresh,
    fresh.code === 0 && fresh.passed === 3,
    "3 tests should pass without --allow-run",
  );
  assert.match(
    fresh.output,
    new RegExp(
      `^itkit: isolation "truncate" on ${
        masked(app.url)
      }: each test gets a fresh schema, migrated and dropped as in isolation "schema", because the process may not run a helper \\(deno test without --allow-run\\) to drop a database or schema kept for the process if it were killed\\. Grant --allow-run to migrate once per process and reset after each test\\.$`,
      "m",
    ),
  );
  assert.deepEqual(
    places(fresh.output),
    Array(3).fill(
      `db=${app.config.user} schema=${
        /schema=(itkit_\w+_0)$/m.exec(fresh.output)?.[1]
      }`,
    ),
  );
  assert.deepEqual(await app.itkitSchemas(), []);

  const own = await runDenoTest(["postgres_truncate.ts"], {
    args: SANITIZE,
    permissions: await printedPermissions(app.url, ["--database-isolation"]),
    env: { DATABASE_URL: app.url },
  });
  expectRun(
    own,
    own.code === 0 && own.passed === 3,
    "3 tests should pass with --database-isolation",
  );
  assert.doesNotMatch(own.output, /^itkit: isolation "truncate"/m);
  const where = places(own.output);
  assert.equal(where.length, 3);
  assert.equal(new Set(where).size, 1, "one database for the process");
  assert.match(where[0]!, /^db=itkit_\w+ schema=public$/);
  assert.deepEqual(await itkitObjectsSince(databases), []);
});

Deno.test('isolation "truncate": a failing migration is reported as the level\'s, in a database or a schema, and leaves nothing', async () => {
  for (const createdb of [true, false]) {
    await using app = await appDatabase({ createdb });
    const databases = await itkitObjects();
    const run = await runInlineTest({
      "postgres_truncate_errors.ts":
        `// Isolation "truncate" whose migration fails: the error names the level,
// whichever place (a database or a schema) the process's copy was to be.
import { integration } from "@itkit/core";
import { postgresDatabase } from "@itkit/core/postgres";

integration("truncate migration fails", {
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "truncate",
      migrate: (sql) => sql\`insert into missing values (1)\`,
    }),
  },
}, () => {});
`,
    }, {
      args: SANITIZE,
      env: { DATABASE_URL: app.url },
    });
    expectRun(run, run.failed === 1, "the test must fail");
    assert.match(
      run.output,
      new RegExp(
        `fixture "db" \\(postgresDatabase\\) failed to set up: Cannot prepare isolation "truncate": migration failed: relation "missing" does not exist \\(${
          createdb ? "database" : "schema"
        } "itkit_\\w+" was dropped\\)`,
      ),
    );
    assert.deepEqual(await app.itkitSchemas(), []);
    assert.deepEqual(await itkitObjectsSince(databases), []);
  }
});
