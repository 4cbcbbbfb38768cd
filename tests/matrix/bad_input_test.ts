// The bad-input matrix: one row per case, each asserting the one clear error.
import assert from "node:assert/strict";
import {
  delay,
  env,
  fetchMock,
  httpServer,
  probe,
  probeHttp,
  probeTcp,
  tmpDir,
} from "../../mod.ts";
import { mergePermissions } from "../../src/core/permissions.ts";
import { parseShard } from "../../src/run/shard.ts";
import { parseFlag } from "../../src/run/settings.ts";
import { postgresConfig, postgresDatabase } from "../../postgres.ts";
import { probeS3, s3Bucket, s3Config } from "../../s3.ts";
import { sweep } from "../../services.ts";
import { runDenoTest } from "../_shared/harness.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const PG = {
  host: "127.0.0.1",
  port: 9,
  user: "u",
  password: "",
  database: "d",
};

const rows: [
  string,
  () => unknown,
  ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  string,
][] = [
  // Environment variables
  [
    "S3_ENDPOINT not a URL",
    () => s3Config({ S3_ENDPOINT: "localhost:9000" }),
    TypeError,
    'Cannot configure S3: S3_ENDPOINT "localhost:9000" is not an endpoint URL (expected http://host:port, e.g. http://localhost:9000)',
  ],
  [
    "S3_ENDPOINT with credentials",
    () => s3Config({ S3_ENDPOINT: "http://user:pw@host:9000" }),
    TypeError,
    'Cannot configure S3: S3_ENDPOINT "http://user:***@host:9000" has credentials in it (expected http://host:port; put the keys in S3_ACCESS_KEY and S3_SECRET_KEY)',
  ],
  [
    "S3_ACCESS_KEY with a space",
    () => s3Config({ S3_ACCESS_KEY: "a b" }),
    TypeError,
    'Cannot configure S3: S3_ACCESS_KEY "a b" contains white space (expected an access key id such as minioadmin)',
  ],
  [
    "S3_SECRET_KEY with a space",
    () => s3Config({ S3_SECRET_KEY: "s e" }),
    TypeError,
    'Cannot configure S3: S3_SECRET_KEY "***" contains white space (expected a secret key such as minioadmin)',
  ],
  [
    "S3_REGION not a region",
    () => s3Config({ S3_REGION: "Mars!" }),
    TypeError,
    'Cannot configure S3: S3_REGION "Mars!" is not a region (expected a name such as us-east-1)',
  ],
  [
    "DATABASE_URL wrong scheme",
    () => postgresConfig({ DATABASE_URL: "mysql://u:pw@h/d" }),
    TypeError,
    'Cannot configure PostgreSQL: DATABASE_URL "mysql://u:***@h/d" has scheme "mysql:" (expected postgres://user:password@host:port/database)',
  ],
  [
    "DATABASE_URL without user",
    () => postgresConfig({ DATABASE_URL: "postgres://h/d" }),
    TypeError,
    'Cannot configure PostgreSQL: DATABASE_URL "postgres://h/d" has no user (expected postgres://user:password@host:port/database)',
  ],
  [
    "PGPORT not a number",
    () => postgresConfig({ PGPORT: "x" }),
    TypeError,
    'Cannot configure PostgreSQL: PGPORT "x" is not a port (expected a number from 1 to 65535)',
  ],
  [
    "PGPORT out of range",
    () => postgresConfig({ PGPORT: "70000" }),
    TypeError,
    'Cannot configure PostgreSQL: PGPORT "70000" is not a port (expected a number from 1 to 65535)',
  ],
  [
    "PGHOST a socket dir",
    () => postgresConfig({ PGHOST: "/run/postgresql" }),
    TypeError,
    'Cannot configure PostgreSQL: PGHOST "/run/postgresql" is a Unix socket directory (expected a host name or address; Deno tests reach PostgreSQL over TCP)',
  ],
  [
    "DATABASE_URL with a socket dir as host",
    () =>
      postgresConfig({
        DATABASE_URL: "postgres://u:pw@%2Fvar%2Frun%2Fpostgresql/db",
      }),
    TypeError,
    'Cannot configure PostgreSQL: DATABASE_URL "postgres://u:***@%2Fvar%2Frun%2Fpostgresql/db" names the Unix socket directory "/var/run/postgresql" as its host; Deno tests reach PostgreSQL over TCP only (expected postgres://user:password@host:port/database)',
  ],
  [
    "DATABASE_URL with a socket dir in ?host=",
    () =>
      postgresConfig({
        DATABASE_URL: "postgres:///db?host=/var/run/postgresql",
      }),
    TypeError,
    'Cannot configure PostgreSQL: DATABASE_URL "postgres:///db?host=/var/run/postgresql" names the Unix socket directory "/var/run/postgresql" as its host; Deno tests reach PostgreSQL over TCP only (expected postgres://user:password@host:port/database)',
  ],
  [
    "ITKIT_SHARD malformed",
    () => parseShard("3/2"),
    TypeError,
    'Cannot shard integration tests: ITKIT_SHARD "3/2" is not a shard (expected i/n with 1 <= i <= n, e.g. 2/3)',
  ],
  [
    "ITKIT_REQUIRE malformed",
    () => parseFlag("ITKIT_REQUIRE", "maybe"),
    TypeError,
    'Cannot read ITKIT_REQUIRE: "maybe" is not a flag (expected 1, true, yes or on to turn it on; 0, false, no, off or unset for off)',
  ],
  // Fixture options
  [
    "tmpDir prefix with a slash",
    () => tmpDir.fixture({ prefix: "a/b" }),
    TypeError,
    'Cannot create tmpDir fixture: prefix must be a string without path separators, got "a/b"',
  ],
  [
    "tmpDir dir not a string",
    () => tmpDir.fixture({ dir: 5 as Any }),
    TypeError,
    "Cannot create tmpDir fixture: dir must be a path string, got 5",
  ],
  [
    "tmpDir scope unknown",
    () => tmpDir.fixture({ scope: "suite" as Any }),
    TypeError,
    'Cannot declare fixture "tmpDir": scope must be "test", "step" or "module", got "suite"',
  ],
  [
    "env vars not an object",
    () => env.fixture({ vars: "A=1" as Any }),
    TypeError,
    "Cannot create env fixture: vars must be an object of names to strings or undefined, or a function of the test's fixtures that returns one",
  ],
  [
    "env name invalid",
    () => env.fixture({ vars: { "A-B": "1" } }),
    TypeError,
    'Cannot create env fixture: "A-B" is not a variable name (expected letters, digits and _)',
  ],
  [
    "env value a number",
    () => env.fixture({ vars: { A: 1 as Any } }),
    TypeError,
    "Cannot create env fixture: A must be a string or undefined, got number",
  ],
  [
    "env allow not an array",
    () => env.fixture({ allow: "A" as Any }),
    TypeError,
    "Cannot create env fixture: allow must be an array of variable names",
  ],
  [
    "fetchMock relative URL",
    () => fetchMock.fixture({ routes: [{ url: "/x", reply: {} }] }),
    TypeError,
    'Cannot add fetch mock route (routes[0]): "/x" is not a URL (expected an absolute URL or a URLPattern)',
  ],
  [
    "fetchMock routes a string",
    () => fetchMock.fixture({ routes: "GET /x" as Any }),
    TypeError,
    'Cannot create fetchMock fixture: routes must be an array of routes ([{ method, url, reply }]), got "GET /x"',
  ],
  [
    "fetchMock reply missing",
    () =>
      fetchMock.fixture({
        routes: [{ url: "https://a.test/", reply: null as Any }],
      }),
    TypeError,
    "Cannot add fetch mock route (routes[0]): reply must be an object ({ json }, { text }, { status }) or a handler",
  ],
  [
    "fetchMock method empty",
    () =>
      fetchMock.fixture({
        routes: [{ method: "", url: "https://a.test/", reply: {} }],
      }),
    TypeError,
    'Cannot add fetch mock route (routes[0]): method must be a string such as "GET" or "*"',
  ],
  [
    "fetchMock handlers not an array",
    () => fetchMock.fixture({ handlers: "GET /x" as Any }),
    TypeError,
    'Cannot create fetchMock fixture: handlers must be an array of msw handlers ([http.get(url, resolver)]), got "GET /x"',
  ],
  [
    "fetchMock handler not from msw",
    () => fetchMock.fixture({ handlers: [() => new Response()] as Any }),
    TypeError,
    "Cannot create fetchMock fixture: handlers[0] is not an msw handler (expected one made by msw's http or graphql, such as http.get(url, resolver)), got function",
  ],
  [
    "fetchMock passthrough target with a path but no scheme",
    () => fetchMock.fixture({ passthrough: ["localhost", "api.test/v1"] }),
    TypeError,
    'Cannot create fetchMock fixture: passthrough[1] "api.test/v1" is not a pass-through target (expected a host such as "localhost" or "127.0.0.1:8080", a URL prefix such as "https://api.example.com/v1/", a RegExp or a URLPattern)',
  ],
  [
    "fetchMock passthrough not an array",
    () => fetchMock.fixture({ passthrough: "localhost" as Any }),
    TypeError,
    'Cannot create fetchMock fixture: passthrough must be an array of pass-through targets (["localhost:8080", /pattern/]), got "localhost"',
  ],
  [
    "fetchMock assertAllCalled not a boolean",
    () => fetchMock.fixture({ assertAllCalled: "yes" as Any }),
    TypeError,
    'Cannot create fetchMock fixture: assertAllCalled must be true or false, got "yes"',
  ],
  [
    "httpServer without handler",
    () => httpServer.fixture({} as Any),
    TypeError,
    "Cannot create httpServer fixture: handler must be a function (request) => Response",
  ],
  [
    "httpServer public host",
    () =>
      httpServer.fixture({
        handler: () => new Response(),
        hostname: "0.0.0.0" as Any,
      }),
    TypeError,
    'Cannot create httpServer fixture: hostname must be "127.0.0.1" or "::1" (loopback only), got "0.0.0.0"',
  ],
  [
    "s3Bucket prefix uppercase",
    () => s3Bucket.fixture({ prefix: "Up" }),
    TypeError,
    'Cannot create s3Bucket fixture: prefix "Up" is not usable in a bucket name (expected 1-31 lowercase letters, digits and hyphens, starting with a letter or digit)',
  ],
  [
    "s3Bucket shared name invalid",
    () => s3Bucket.fixture({ bucket: "a..b" }),
    TypeError,
    'Cannot create s3Bucket fixture: bucket "a..b" is not a bucket name (expected 3-63 lowercase letters, digits, dots and hyphens)',
  ],
  [
    "postgresDatabase isolation",
    () => postgresDatabase.fixture({ config: PG, isolation: "row" as Any }),
    TypeError,
    'Cannot create postgresDatabase fixture: isolation must be "transaction", "schema", "truncate" or "database", got "row"',
  ],
  [
    "postgresDatabase max zero",
    () => postgresDatabase.fixture({ config: PG, max: 0 }),
    TypeError,
    "Cannot create postgresDatabase fixture: max must be a positive integer, got 0",
  ],
  [
    "postgresDatabase max a string",
    () => postgresDatabase.fixture({ config: PG, max: "4" as Any }),
    TypeError,
    'Cannot create postgresDatabase fixture: max must be a positive integer, got "4" (a string)',
  ],
  [
    "postgresDatabase migrate not a function",
    () =>
      postgresDatabase.fixture({ config: PG, migrate: "create table" as Any }),
    TypeError,
    "Cannot create postgresDatabase fixture: migrate must be a function (sql) => Promise",
  ],
  // Probes and utilities
  [
    "probeHttp URL without scheme",
    () => probeHttp("localhost:9000"),
    TypeError,
    'Cannot probe HTTP: "localhost:9000" is not an http(s) URL (expected http://host:port/path)',
  ],
  [
    "probeHttp not a URL",
    () => probeHttp("::"),
    TypeError,
    'Cannot probe HTTP: "::" is not a URL (expected http://host:port/path)',
  ],
  [
    "probeTcp port out of range",
    () => probeTcp("127.0.0.1", 0),
    TypeError,
    "Cannot probe TCP 127.0.0.1: port must be an integer from 1 to 65535, got 0",
  ],
  [
    "probeTcp empty host",
    () => probeTcp("", 80),
    TypeError,
    'Cannot probe TCP: hostname must be a non-empty string, got ""',
  ],
  [
    "probe timeout zero",
    () => probeTcp("127.0.0.1", 9, { timeout: 0 }),
    RangeError,
    "Cannot probe tcp 127.0.0.1:9: timeout must be a positive number of milliseconds, got 0",
  ],
  [
    "probe timeout a string",
    () => probe("x", () => Promise.resolve(true), { timeout: "1s" as Any }),
    RangeError,
    'Cannot probe x: timeout must be a positive number of milliseconds, got "1s"',
  ],
  [
    "probeS3 timeout negative",
    () => probeS3(s3Config({}), { timeout: -5 }),
    RangeError,
    "Cannot probe s3 http://localhost:9000: timeout must be a positive number of milliseconds, got -5",
  ],
  [
    "probe without check",
    () => probe("x", undefined as Any),
    TypeError,
    "Cannot probe x: check must be a function",
  ],
  [
    "delay negative",
    () => delay(-1),
    RangeError,
    "Cannot delay: ms must be a non-negative number, got -1",
  ],
  [
    "mergePermissions unknown kind",
    () => mergePermissions([{ network: true } as Any]),
    TypeError,
    'Cannot merge permissions: unknown permission kind "network" (expected one of env, ffi, import, net, read, run, sys, write)',
  ],
];

for (const [name, call, type, message] of rows) {
  Deno.test(`bad input: ${name}`, async () => {
    let thrown: unknown;
    try {
      await call();
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof type, `expected a ${type.name}, got ${thrown}`);
    assert.equal((thrown as Error).message, message);
  });
}

Deno.test("bad input: sweep with a negative age", async () => {
  await assert.rejects(
    () => sweep({ olderThan: -1, s3: false, postgres: false, tmpDir: false }),
    new RangeError(
      "Cannot sweep: olderThan must be a non-negative number of milliseconds, got -1",
    ),
  );
});

const registrations: [string, string][] = [
  [
    "timeout negative",
    'RangeError: Cannot register integration test "t": timeout must be a positive number of milliseconds up to 2147483647 (or Infinity for none), got -1',
  ],
  [
    "timeout string",
    'RangeError: Cannot register integration test "t": timeout must be a positive number of milliseconds up to 2147483647 (or Infinity for none), got 5s',
  ],
  [
    "fixtures array",
    'TypeError: Cannot register integration test "t": fixtures must be an object of fixture declarations ({ dir: tmpDir.fixture() })',
  ],
  [
    "requires not array",
    'TypeError: Cannot register integration test "t": requires must be an array of probe results',
  ],
  [
    "requires not a result",
    'TypeError: Cannot register integration test "t": requires[0] is not a probe result (expected { ok, name, target, reason })',
  ],
  [
    "requires promise",
    'TypeError: Cannot register integration test "t": requires[0] is a Promise; await the probe at the top level of the module (const db = await probeTcp(...)) and pass the result',
  ],
  [
    "options not object",
    'TypeError: Cannot register integration test "t": options must be an object',
  ],
  [
    "no function",
    'TypeError: Cannot register integration test "t": expected a test function as the last argument',
  ],
  [
    "empty name",
    "TypeError: Cannot register integration test: name must be a non-empty string",
  ],
  [
    "unknown dependency",
    'TypeError: Cannot register integration test "t": fixture "repo" (k) depends on "db", which is not declared (declared: repo)',
  ],
  [
    "cyclic dependency",
    'TypeError: Cannot register integration test "t": fixtures depend on each other in a cycle: a -> b -> a',
  ],
  [
    "test on step",
    'TypeError: Cannot register integration test "t": fixture "a" is test-scoped but depends on step-scoped "b"; make "a" step-scoped too',
  ],
  [
    "not a declaration",
    'TypeError: Cannot register integration test "t": fixture "dir" is not a fixture declaration (use a factory\'s .fixture(), e.g. tmpDir.fixture())',
  ],
  [
    "unknown permission",
    'TypeError: Cannot merge permissions: unknown permission kind "network" (expected one of env, ffi, import, net, read, run, sys, write)',
  ],
  [
    "module on test",
    'TypeError: Cannot register integration test "t": fixture "a" is module-scoped but depends on test-scoped "b"; a module-scoped fixture may depend only on module-scoped ones',
  ],
  [
    "group body async",
    'TypeError: Cannot define group "g": the body returned a promise; register tests synchronously (await probes at the top level of the module, before the group)',
  ],
  [
    "group requires promise",
    'TypeError: Cannot define group "g": requires[0] is a Promise; await the probe at the top level of the module (const db = await probeTcp(...)) and pass the result',
  ],
  [
    "fixture requires promise",
    'TypeError: Cannot declare fixture "tmpDir": requires[0] is a Promise; await the probe at the top level of the module (const db = await probeTcp(...)) and pass the result',
  ],
];

Deno.test("bad input: every bad registration is one clear error at module load", async () => {
  const run = await runDenoTest(["bad_registrations.ts"]);
  const printed = new Map(
    [...run.output.matchAll(/^ROW ([^:]+): (.*)$/gm)].map((m) => [m[1], m[2]]),
  );
  for (const [label, expected] of registrations) {
    assert.equal(printed.get(label), expected, label);
  }
  assert.equal(printed.size, registrations.length, run.output);
});

Deno.test("bad input: a malformed ITKIT_REQUIRE fails the module at load, even with every service up", async () => {
  const run = await runDenoTest(["custom_probe_gated.ts"], {
    env: { ITKIT_REQUIRE: "maybe" },
  });
  assert.notEqual(run.code, 0, run.output);
  assert.match(
    run.output,
    /TypeError: Cannot read ITKIT_REQUIRE: "maybe" is not a flag \(expected 1, true, yes or on to turn it on; 0, false, no, off or unset for off\)/,
  );
  assert.doesNotMatch(run.output, /BODY RAN|\.\.\. ok/);
});

Deno.test("bad input: declaring one fixture name twice is a type error", async () => {
  const root = new URL("../../", import.meta.url);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      `import { integration, tmpDir } from "${new URL("mod.ts", root).href}";
integration("declares one name twice", {
  fixtures: { dir: tmpDir.fixture(), dir: tmpDir.fixture({ prefix: "other-" }) },
}, () => {});
`,
    );
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", new URL("deno.json", root).pathname, file],
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(success, false);
    assert.match(
      new TextDecoder().decode(stderr),
      /TS1117 \[ERROR\]: An object literal cannot have multiple properties with the same name/,
    );
  } finally {
    await Deno.remove(file);
  }
});
