import assert from "node:assert/strict";
import { postgresConfig, postgresPermissions, postgresUrl } from "../mod.ts";

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

Deno.test("postgresConfig() names a malformed variable and masks the password", () => {
  const cases: [Record<string, string>, string][] = [
    [
      { DATABASE_URL: "postgres://app:hunter2@/shop" },
      'Cannot configure PostgreSQL: DATABASE_URL "postgres://app:***@/shop" is not a URL (expected postgres://user:password@host:port/database)',
    ],
    [
      { DATABASE_URL: "postgres:///shop" },
      'Cannot configure PostgreSQL: DATABASE_URL "postgres:///shop" has no host (expected postgres://user:password@host:port/database)',
    ],
    [
      { DATABASE_URL: "postgres://db.test/shop" },
      'Cannot configure PostgreSQL: DATABASE_URL "postgres://db.test/shop" has no user (expected postgres://user:password@host:port/database)',
    ],
    [
      { DATABASE_URL: "mysql://app:hunter2@db:3306/shop" },
      'Cannot configure PostgreSQL: DATABASE_URL "mysql://app:***@db:3306/shop" has scheme "mysql:" (expected postgres://user:password@host:port/database)',
    ],
    [
      { DATABASE_URL: "not a url" },
      'Cannot configure PostgreSQL: DATABASE_URL "not a url" is not a URL (expected postgres://user:password@host:port/database)',
    ],
    [
      { PGPORT: "five" },
      'Cannot configure PostgreSQL: PGPORT "five" is not a port (expected a number from 1 to 65535)',
    ],
    [
      { PGHOST: "/var/run/postgresql" },
      'Cannot configure PostgreSQL: PGHOST "/var/run/postgresql" is a Unix socket directory (expected a host name or address; Deno tests reach PostgreSQL over TCP)',
    ],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => postgresConfig(env), new TypeError(message));
  }
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
