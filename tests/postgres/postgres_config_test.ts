import assert from "node:assert/strict";
import {
  postgresConfig,
  postgresPermissions,
  postgresUrl,
} from "../../postgres.ts";

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
    // What postgres.js 4.2 reads for a pool with every option given.
    env: [
      "PGMAX",
      "PGMIN",
      "PGSSLMODE",
      "PGSSL",
      "PGSSLNEGOTIATION",
      "PGCHANNEL_BINDING",
      "PGREQUIRE_AUTH",
      "PGIDLE_TIMEOUT",
      "PGCONNECT_TIMEOUT",
      "PGQUEUE_TIMEOUT",
      "PGQUERY_TIMEOUT",
      "PGCANCEL_TIMEOUT",
      "PGMAX_LIFETIME",
      "PGMAX_PIPELINE",
      "PGSCHEDULER",
      "PGBACKOFF",
      "PGKEEP_ALIVE",
      "PGPREPARE",
      "PGDEBUG",
      "PGFETCH_TYPES",
      "PGINFER",
      "PGPUBLICATIONS",
      "PGSLOT",
      "PGTARGET_SESSION_ATTRS",
      "PGAPPNAME",
      "PGTARGETSESSIONATTRS",
      "PGREQUIREAUTH",
      "PGPASSFILE",
    ],
  });
});

// Issue 26, points 2, 3 and 7: TLS settings, and passwords with the
// characters URL parsers trip on.

/** A password with each of / @ : % # in it. */
const SECRET = "Qz/Wm5@x:9%e#T";

Deno.test("postgresConfig() reads sslmode and sslrootcert from DATABASE_URL, else PGSSLMODE and PGSSLROOTCERT", () => {
  const base = "postgres://app:pw@db.test:5432/shop";
  assert.equal(postgresConfig({ DATABASE_URL: base }).sslmode, undefined);
  assert.deepEqual(
    postgresConfig({
      DATABASE_URL: `${base}?sslmode=verify-ca&sslrootcert=/etc/ca.pem`,
      PGSSLMODE: "disable",
      PGSSLROOTCERT: "/elsewhere.pem",
    }),
    {
      host: "db.test",
      port: 5432,
      user: "app",
      password: "pw",
      database: "shop",
      sslmode: "verify-ca",
      sslrootcert: "/etc/ca.pem",
    },
  );
  // What the URL leaves out comes from the variables, as in libpq.
  const fromEnv = postgresConfig({
    DATABASE_URL: base,
    PGSSLMODE: "verify-full",
    PGSSLROOTCERT: "/etc/ca.pem",
  });
  assert.equal(fromEnv.sslmode, "verify-full");
  assert.equal(fromEnv.sslrootcert, "/etc/ca.pem");
  assert.equal(
    postgresConfig({ PGHOST: "db.test", PGSSLMODE: "require" }).sslmode,
    "require",
  );
  // As libpq 16: the system's roots imply verify-full.
  assert.equal(
    postgresConfig({ DATABASE_URL: `${base}?sslrootcert=system` }).sslmode,
    "verify-full",
  );
  // The URL the toolkit hands out connects the same way.
  assert.equal(
    postgresUrl(fromEnv),
    "postgres://app:***@db.test:5432/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem",
  );
  assert.deepEqual(postgresPermissions(fromEnv).read, ["/etc/ca.pem"]);
});

Deno.test("DATABASE_URL: a password with / @ : % # is read percent-encoded (@ and : also as they are); a malformed URL is one TypeError naming the variable and what is expected, the password masked", () => {
  const config = postgresConfig({
    DATABASE_URL: `postgres://app:${encodeURIComponent(SECRET)}@db.test/shop`,
  });
  assert.equal(config.password, SECRET);
  assert.equal(postgresUrl(config), "postgres://app:***@db.test:5432/shop");
  assert.deepEqual(
    postgresConfig({ DATABASE_URL: postgresUrl(config, true) }),
    config,
  );
  assert.equal(
    postgresConfig({ DATABASE_URL: "postgres://app:p@ss:w@db.test/shop" })
      .password,
    "p@ss:w",
  );
  for (
    const [url, why] of [
      [
        `postgres://app:${SECRET}@db.test:5432/shop`,
        `DATABASE_URL "postgres://app:***@db.test:5432/shop" has a "/" in its password that is not percent-encoded (expected postgres://user:password@host:port/database, with "/" written as %2F)`,
      ],
      [
        "postgres://app:Qz#Wm5secret@db.test/shop",
        `DATABASE_URL "postgres://app:***@db.test/shop" has a "#" in its password that is not percent-encoded`,
      ],
      [
        "postgres://app:ab%zzsecret@db.test/shop",
        `DATABASE_URL "postgres://app:***@db.test/shop" has an invalid percent-encoding in its password (expected "%" followed by two hex digits`,
      ],
      [
        "postgres://app:secret@db.test/caf%E9",
        `DATABASE_URL "postgres://app:***@db.test/caf%E9" has an invalid percent-encoding in its database name "caf%E9"`,
      ],
      [
        "postgres://app:5432/xsecret@db.test/shop",
        `DATABASE_URL "postgres://app:***@db.test/shop" has a "/" or "@" in its database name, or a "/" in its password, that is not percent-encoded`,
      ],
      [
        "postgres://app:secret",
        `DATABASE_URL "postgres://app:***" has a port that is not a number`,
      ],
      [
        "postgres://app:secret@db.test/shop?sslmode=requir",
        `DATABASE_URL "postgres://app:***@db.test/shop?sslmode=requir" has sslmode "requir" (expected sslmode disable, prefer, require, verify-ca or verify-full)`,
      ],
      [
        "postgres://app:secret@db.test/shop?sslmode=verify-full",
        `has sslmode "verify-full" but no sslrootcert to check the server's certificate with (expected sslrootcert=`,
      ],
      [
        "postgres://app:secret@db.test/shop?sslmode=require&sslrootcert=system",
        `has sslmode "require" with sslrootcert=system`,
      ],
      [
        "postgres://app:secret@db.test/shop?sslcert=/etc/client.pem",
        "has sslcert, which itkit does not support",
      ],
      [
        "postgres://db.test/shop?user=app&password=secret&sslmode=allow",
        `DATABASE_URL "postgres://db.test/shop?user=app&password=***&sslmode=allow" has sslmode "allow", which itkit does not support`,
      ],
    ] as const
  ) {
    assert.throws(
      () => postgresConfig({ DATABASE_URL: url }),
      (error: Error) => {
        assert.ok(error instanceof TypeError, `${url}: ${error}`);
        assert.ok(
          error.message.startsWith("Cannot configure PostgreSQL: ") &&
            error.message.includes(why),
          `${url}:\n${error.message}`,
        );
        for (const secret of [SECRET, "secret", "Wm5"]) {
          assert.ok(!error.message.includes(secret), error.message);
        }
        return true;
      },
    );
  }
});

Deno.test("a PGSSLMODE that is not an sslmode, or verify-full without a root certificate, names the variable", () => {
  assert.throws(
    () => postgresConfig({ PGHOST: "db.test", PGSSLMODE: "on" }),
    new TypeError(
      'Cannot configure PostgreSQL: PGSSLMODE "on" is not an sslmode (expected sslmode disable, prefer, require, verify-ca or verify-full)',
    ),
  );
  assert.throws(
    () =>
      postgresConfig({
        DATABASE_URL: "postgres://app@db.test/shop",
        PGSSLMODE: "verify-full",
      }),
    /^TypeError: Cannot configure PostgreSQL: PGSSLMODE "verify-full" but no sslrootcert/,
  );
});
