// Migrations run by a migrator of the app's own, in the isolation level
// ISOLATION: one on a postgres.js pool it opens from the target's `url`, one
// in a `deno run` subprocess given the target's `env`. The migrated table is
// where the test works (its schema and database) and nowhere else.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import {
  postgresClientPermissions,
  type PostgresDatabase,
  postgresDatabase,
  type PostgresIsolation,
} from "../../../postgres.ts";
import { applyMigrations } from "./_pg_migrator.ts";

const isolation = Deno.env.get("ISOLATION") as PostgresIsolation;
const dir = new URL("./postgres_migrations", import.meta.url).pathname;
const migrator = new URL("./_pg_migrator.ts", import.meta.url).pathname;
const deno = Deno.execPath();

const ownPool = postgresDatabase.fixture({
  isolation,
  name: "own pool",
  migrate: async (_sql, { url, database, schema }) => {
    const applied = await applyMigrations(url, dir);
    console.log(`MIGRATED own pool ${database} ${schema} ${applied.length}`);
  },
});

const subprocess = postgresDatabase.fixture({
  isolation,
  name: "subprocess",
  migrate: async (_sql, target) => {
    // Printed as a user might: the password masked.
    console.log(`TARGET ${Deno.inspect(target)}`);
    const { code, stdout, stderr } = await new Deno.Command(deno, {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        migrator,
        dir,
      ],
      env: target.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    if (code !== 0) throw new Error(`the migrator failed: ${said}`);
    console.log(`MIGRATED subprocess ${target.database} ${target.schema}`);
  },
});

/** The migrated table is the test's, with the migrated row and its own. */
async function check(db: PostgresDatabase, name: string): Promise<void> {
  const [where] = await db.sql<{ schema: string; database: string }[]>`
    select n.nspname as schema, current_database() as database
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = 'items'::regclass`;
  assert.deepEqual(where, { schema: db.schema, database: db.database });
  await db.sql`insert into items (name) values (${name})`;
  const rows = await db.sql<{ name: string }[]>`
    select name from items order by id`;
  assert.deepEqual(rows.map((r) => r.name), ["migrated", name]);
  console.log(`TEST ${name} ${db.database} ${db.schema}`);
}

for (const n of [1, 2]) {
  integration(`own pool migrator, test ${n} (${isolation})`, {
    // postgres.js reads PG* variables; the migrator reads its directory.
    permissions: postgresClientPermissions({ read: [dir] }),
    fixtures: { db: ownPool },
  }, async (_t, { db }) => await check(db, `pool ${n}`));

  integration(`subprocess migrator, test ${n} (${isolation})`, {
    permissions: { run: [deno] },
    fixtures: { db: subprocess },
  }, async (_t, { db }) => await check(db, `subprocess ${n}`));
}
