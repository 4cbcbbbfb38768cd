// An env fixture whose values come from the test's database fixture: the app
// under test reads DATABASE_URL, as a real app would.
import assert from "node:assert/strict";
import { defineFixture, env, integration } from "../../../mod.ts";
import {
  postgresConfig,
  type PostgresDatabase,
  postgresDatabase,
  postgresUrl,
} from "../../../postgres.ts";
import { openStore } from "../../_shared/pg_app.ts";

const before = Deno.env.get("DATABASE_URL");
const migrate = (sql: PostgresDatabase["sql"]) =>
  sql`create table users (id serial primary key, name text not null)`;

/** Says, at its setup and cleanup, whether DATABASE_URL is the original. */
const witness = defineFixture<unknown, AsyncDisposable>({
  name: "witness",
  permissions: { env: ["DATABASE_URL"] },
  setup: () => {
    const at = (when: string) =>
      console.log(
        `WITNESS ${when} sees ${
          Deno.env.get("DATABASE_URL") === before ? "the original" : "another"
        } DATABASE_URL`,
      );
    at("setup");
    return { [Symbol.asyncDispose]: () => Promise.resolve(at("cleanup")) };
  },
});

integration("the app reads DATABASE_URL from the test's database", {
  fixtures: {
    // Declared first: still set after the others, restored before them.
    vars: env.fixture<{ db: PostgresDatabase }>({
      vars: ({ db }) => db.env(),
    }),
    witness: witness.fixture(),
    db: postgresDatabase.fixture({ migrate }),
  },
}, async (_t, { db, vars }) => {
  assert.equal(Deno.env.get("DATABASE_URL"), db.url);
  assert.deepEqual([...vars.names].sort(), Object.keys(db.env()).sort());
  // The toolkit's own configuration still reads the original.
  assert.equal(
    postgresUrl(postgresConfig()),
    postgresUrl(postgresConfig({
      DATABASE_URL: before,
    })),
  );
  {
    await using store = openStore({
      DATABASE_URL: Deno.env.get("DATABASE_URL")!,
    });
    await store.addUser("ada");
  }
  const rows = await db.sql<{ name: string }[]>`select name from users`;
  assert.deepEqual(rows.map((r) => r.name), ["ada"]);
  console.log("APP stored ada in the test's schema");
});

integration("the untyped form and a standalone env fixture with deps", {
  fixtures: {
    db: postgresDatabase.fixture({ migrate }),
    vars: env.fixture({
      vars: ({ db }) => ({ APP_DATABASE: db.database }),
    }),
  },
}, async (_t, { db }) => {
  assert.equal(Deno.env.get("APP_DATABASE"), db.database);
  {
    await using _vars = await env({ vars: ({ db }) => db.env() }, { db });
    assert.equal(Deno.env.get("DATABASE_URL"), db.url);
  }
  assert.equal(Deno.env.get("DATABASE_URL"), before);
});

integration("DATABASE_URL is back after those tests", {
  permissions: { env: ["DATABASE_URL", "APP_DATABASE"] },
}, () => {
  assert.equal(Deno.env.get("DATABASE_URL"), before);
  assert.equal(Deno.env.get("APP_DATABASE"), undefined);
  console.log("RESTORED");
});
