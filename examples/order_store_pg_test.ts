import assert from "node:assert/strict";
import { integration } from "../mod.ts";
import {
  pgClientPermissions,
  postgresDatabase,
  probePostgres,
} from "../postgres.ts";
import { OrderStore } from "./order_store_pg.ts";

const db = await probePostgres();

integration("the order store's own pg pool works in the test's schema", {
  requires: [db],
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "schema",
      migrate: (sql) =>
        sql`create table orders (id serial primary key, item text not null, quantity int not null)`,
    }),
  },
  // What node-postgres reads by itself when the app opens its pool.
  permissions: pgClientPermissions(),
}, async (_t, { db }) => {
  await using store = new OrderStore(db.url);

  await store.place("tea", 2);
  await store.place("tea", 3);
  await store.place("cake", 1);

  assert.equal(await store.quantity("tea"), 5);
  assert.equal(await store.quantity("coffee"), 0);
});
