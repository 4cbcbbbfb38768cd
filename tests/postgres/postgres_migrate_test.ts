// Issue 27: `migrate` can run an app's own migrator. Its second argument
// says where the migration runs (url, env, config, database, schema): a
// postgres.js pool opened from `url` and a `deno run` subprocess given `env`
// migrate exactly where the test then works, in every isolation level, and
// the app's own table of the same name is untouched.
import assert from "node:assert/strict";
import type { PostgresIsolation } from "../../postgres.ts";
import { itkitObjects, itkitObjectsSince } from "../_shared/services.ts";
import { type AppDatabase, appDatabase } from "../_shared/app_database.ts";
import { expectRun, runDenoTest } from "../_shared/harness.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];

/** The app's own table, named like the one the migrations make. */
const USER_OBJECTS = `
  create table items (id serial primary key, name text not null, price int);
  insert into items (name, price) values ('the user''s item', 3);`;

function userItems(app: AppDatabase): Promise<unknown> {
  return app.query(`
    select (select json_agg(i order by id) from public.items i) as rows,
      (select json_agg(a.attname order by a.attnum) from pg_attribute a
       where a.attrelid = 'public.items'::regclass and a.attnum > 0) as columns,
      (select count(*) from pg_class c where c.relname = 'items') as tables`);
}

const CASES: {
  isolation: PostgresIsolation;
  createdb: boolean;
  /** Where the tests work: a schema of the app's database, or a database of their own. */
  place: "schema" | "database";
}[] = [
  { isolation: "schema", createdb: false, place: "schema" },
  { isolation: "transaction", createdb: false, place: "schema" },
  { isolation: "truncate", createdb: false, place: "schema" },
  { isolation: "truncate", createdb: true, place: "database" },
  { isolation: "database", createdb: true, place: "database" },
];

for (const { isolation, createdb, place } of CASES) {
  Deno.test(
    `migrate: a migrator of the app's own (its pool from url, a subprocess given env) migrates where the test works in isolation "${isolation}" (a role ${
      createdb ? "with" : "without"
    } CREATEDB: a ${place} of its own), and nowhere else`,
    async () => {
      await using app = await appDatabase({ createdb, objects: USER_OBJECTS });
      const user = await userItems(app);
      const databases = await itkitObjects();
      const run = await runDenoTest(["postgres_migrate.ts"], {
        args: SANITIZE,
        env: { ISOLATION: isolation, DATABASE_URL: app.url },
      });
      expectRun(run, run.code === 0 && run.passed === 4, "4 tests should pass");

      // Where each migrator migrated, and where its tests worked.
      for (const migrator of ["own pool", "subprocess"]) {
        const migrated = [
          ...run.output.matchAll(
            new RegExp(`^MIGRATED ${migrator} (\\S+) (\\S+)`, "gm"),
          ),
        ].map((m) => `${m[1]} ${m[2]}`);
        const tested = [
          ...run.output.matchAll(
            new RegExp(
              `^TEST ${
                migrator === "own pool" ? "pool" : migrator
              } \\d (\\S+) (\\S+)$`,
              "gm",
            ),
          ),
        ].map((m) => `${m[1]} ${m[2]}`);
        assert.equal(tested.length, 2, migrator);
        // Once per process, but in "schema" isolation (once per test).
        assert.equal(migrated.length, isolation === "schema" ? 2 : 1, migrator);
        for (const where of tested) {
          assert.match(
            where,
            place === "schema"
              ? new RegExp(`^${app.config.user} itkit_\\w+$`)
              : /^itkit_\w+ public$/,
            migrator,
          );
        }
        if (place === "database") {
          // The template the tests' databases are cloned from (in
          // "truncate", the one database of the process).
          assert.match(migrated[0]!, /^itkit_tpl_\w+ public$/, migrator);
          if (isolation === "database") {
            assert.notEqual(tested[0], tested[1], "a database per test");
          } else {
            assert.equal(tested[0], tested[1], "one database per process");
          }
        } else {
          for (const where of [...migrated, tested[1]]) {
            assert.equal(where, tested[0], migrator);
          }
        }
      }
      if (place === "database") {
        assert.doesNotMatch(run.output, /^itkit: isolation "truncate"/m);
      }

      // The target prints with the password masked; nothing prints it.
      assert.match(run.output, /^TARGET \{$/m);
      assert.match(run.output, /^ {2}url: "postgres:\/\/app_\w+:\*\*\*@/m);
      assert.match(run.output, /^ {4}PGPASSWORD: "\*\*\*",$/m);
      assert.ok(!run.output.includes(app.config.password), "password printed");

      // The app's own table is as it was, and, once the toolkit's schemas
      // and databases are dropped, the only one of its name.
      // runDenoTest waited for the run's reapers and helpers: dropped by now.
      assert.deepEqual(await app.itkitSchemas(), []);
      assert.deepEqual(await itkitObjectsSince(databases), []);
      assert.deepEqual(await userItems(app), user);
    },
  );
}
