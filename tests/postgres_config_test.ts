import assert from "node:assert/strict";
import {
  postgresConfig,
  postgresPermissions,
  postgresUrl,
} from "../postgres.ts";

Deno.test("postgresConfig() prefers DATABASE_URL", () => {
  const config = postgresConfig({
    DATABASE_URL: "postgresql://app:p%40ss@db.test:6543/shop",
    PGHOST: "ignored",
  });
  assert.deepEqual(config, {
    host: "db.test",
    port: 6543,
    user: "app",
    password: "p@ss",
    database: "shop",
  });
});

Deno.test("postgresConfig() falls back to libpq variables and defaults", () => {
  assert.deepEqual(postgresConfig({ USER: "me" }), {
    host: "localhost",
    port: 5432,
    user: "me",
    password: "",
    database: "me",
  });
  assert.deepEqual(
    postgresConfig({
      PGHOST: "127.0.0.1",
      PGPORT: "5433",
      PGUSER: "u",
      PGPASSWORD: "p",
      PGDATABASE: "d",
    }),
    { host: "127.0.0.1", port: 5433, user: "u", password: "p", database: "d" },
  );
});

Deno.test("postgresUrl() masks the password, postgresPermissions() grants the server only", () => {
  const config = postgresConfig({
    DATABASE_URL: "postgres://app:hunter2@127.0.0.1:5432/shop",
  });
  assert.equal(postgresUrl(config), "postgres://app:***@127.0.0.1:5432/shop");
  assert.deepEqual(postgresPermissions(config), {
    net: ["127.0.0.1:5432"],
    env: ["PGAPPNAME", "PGTARGETSESSIONATTRS"],
  });
});
