import assert from "node:assert/strict";
import { integration } from "../mod.ts";
import {
  postgresClientPermissions,
  postgresDatabase,
  probePostgres,
} from "../postgres.ts";
import { UserStore } from "./user_store.ts";

const db = await probePostgres();

integration(
  "the user store's own postgres.js pool works in the test's schema",
  {
    requires: [db],
    fixtures: {
      // "schema": db.url lands in the test's schema, and what the app's
      // pool commits is dropped with it.
      db: postgresDatabase.fixture({
        isolation: "schema",
        migrate: (sql) =>
          sql`create table users (id serial primary key, name text not null)`,
      }),
    },
    // What postgres.js 4 reads by itself when the app opens its pool.
    permissions: postgresClientPermissions(),
  },
  async (_t, { db }) => {
    await using store = new UserStore(db.url);

    await store.add("grace");
    await store.add("ada");

    assert.deepEqual(await store.names(), ["ada", "grace"]);
    // The fixture's own client sees what the app's pool committed.
    const [row] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from users`;
    assert.equal(row!.n, 2);
  },
);
