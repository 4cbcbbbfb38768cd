// Issue 26, point 3: the sslmode of DATABASE_URL (else PGSSLMODE) is honoured
// by every connection the toolkit opens, the reaper's and the clone helper's
// included, against throwaway clusters with and without TLS (a self-signed
// certificate for "localhost").
import assert from "node:assert/strict";
import {
  type PostgresConfig,
  postgresConfig,
  postgresUrl,
  probePostgres,
} from "../../postgres.ts";
import { listPostgresLeftovers, startPostgresServer } from "../../services.ts";
import { itkitObjects, withAdmin } from "../_shared/services.ts";
import {
  type DenoTestRun,
  expectRun,
  runDenoTest,
} from "../_shared/harness.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];
/** A password with each character a URL parser can trip on. */
const PASSWORD = "Tls/P@ss:w%rd#9";

const certs = await Deno.makeTempDir({ prefix: "itkit-tls-" });
/** Makes a self-signed certificate for "localhost": `<name>.crt`, `.key`. */
async function selfSigned(
  name: string,
): Promise<{ cert: string; key: string }> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost",
      "-keyout",
      `${certs}/${name}.key`,
      "-out",
      `${certs}/${name}.crt`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  return {
    cert: await Deno.readTextFile(`${certs}/${name}.crt`),
    key: await Deno.readTextFile(`${certs}/${name}.key`),
  };
}
/** The server's certificate, which is also the root that signs it. */
const serverCert = await selfSigned("server");
/** A certificate that signed nothing the server has. */
await selfSigned("other");
const ROOT = `${certs}/server.crt`;
const UNTRUSTED = `${certs}/other.crt`;

/** `config`'s URL with the real password and `params`. */
function url(config: PostgresConfig, params = "", host = config.host): string {
  return postgresUrl({ ...config, host }, true) + params;
}

/** Runs postgres_tls.ts with `cases`, under `env`. */
async function runCases(
  cases: { name: string; isolation: string; url?: string }[],
  env: Record<string, string>,
): Promise<DenoTestRun> {
  const run = await runDenoTest(["postgres_tls.ts"], {
    args: SANITIZE,
    env: { CASES: JSON.stringify(cases), ...env },
  });
  assert.ok(
    !run.output.includes(PASSWORD) &&
      !run.output.includes(encodeURIComponent(PASSWORD)),
    `the password was printed:\n${run.output}`,
  );
  return run;
}

/** The server log's "connection authorized" lines written during `fn`. */
async function connectionsDuring(
  server: { dir: string },
  fn: () => Promise<void>,
): Promise<string[]> {
  const log = `${server.dir}/server.log`;
  const from = (await Deno.stat(log)).size;
  await fn();
  const text = new TextDecoder().decode(
    (await Deno.readFile(log)).subarray(from),
  );
  return text.split("\n").filter((l) => l.includes("connection authorized"));
}

Deno.test("sslmode require from PGSSLMODE encrypts every connection the toolkit opens, the reaper's and the clone helper's included; sslmode=disable in the URL wins and encrypts none", async () => {
  await using server = await startPostgresServer({
    password: PASSWORD,
    tls: serverCert,
  });
  await withAdmin(
    async (sql) => {
      await sql`alter system set log_connections = on`;
      await sql`select pg_reload_conf()`;
    },
    undefined,
    server.config,
  );
  const cases = ["schema", "transaction", "database"].map((isolation) => ({
    name: isolation,
    isolation,
  }));
  for (
    const [mode, env, ssl] of [
      [
        "require",
        { DATABASE_URL: url(server.config), PGSSLMODE: "require" },
        1,
      ],
      ["disable", {
        DATABASE_URL: url(server.config, "?sslmode=disable"),
        PGSSLMODE: "require",
      }, 0],
    ] as const
  ) {
    let run: DenoTestRun | undefined;
    const connections = await connectionsDuring(server, async () => {
      run = await runCases(cases, env);
      // The run's leftover check connects as the toolkit does.
      assert.deepEqual(
        await listPostgresLeftovers(postgresConfig(env)),
        [],
        `${mode}: leftovers`,
      );
    });
    expectRun(run!, run!.passed === 3, `${mode}: 3 tests should pass`);
    assert.deepEqual(run!.reaperFailed, [], `${mode}: the reaper failed`);
    for (const { name } of cases) {
      assert.match(run!.output, new RegExp(`^SSL ${name} ${ssl === 1}$`, "m"));
    }
    // The main process, its reaper (drops the schemas at exit), the clone
    // helper (clones the databases) and the leftover check.
    assert.ok(
      connections.some((l) => /database=itkit_/.test(l)),
      `${mode}: no connection to a clone:\n${connections.join("\n")}`,
    );
    const plain = connections.filter((l) => !l.includes("SSL enabled"));
    assert.deepEqual(
      ssl === 1 ? plain : plain.length - connections.length,
      ssl === 1 ? [] : 0,
      `${mode}:\n${connections.join("\n")}`,
    );
    assert.deepEqual(await itkitObjects(server.config), []);
  }
});

Deno.test("verify-full checks the host name, verify-ca and require with sslrootcert the signer; each failure names the server", async () => {
  await using server = await startPostgresServer({
    password: PASSWORD,
    tls: serverCert,
  });
  const address = `127.0.0.1:${server.config.port}`;
  const run = await runCases([
    {
      name: "verify-full localhost",
      isolation: "schema",
      url: url(
        server.config,
        `?sslmode=verify-full&sslrootcert=${ROOT}`,
        "localhost",
      ),
    },
    {
      name: "verify-ca address",
      isolation: "transaction",
      url: url(server.config, `?sslmode=verify-ca&sslrootcert=${ROOT}`),
    },
    {
      name: "verify-full address",
      isolation: "schema",
      url: url(server.config, `?sslmode=verify-full&sslrootcert=${ROOT}`),
    },
    {
      name: "verify-ca untrusted",
      isolation: "database",
      url: url(server.config, `?sslmode=verify-ca&sslrootcert=${UNTRUSTED}`),
    },
    {
      name: "require untrusted",
      isolation: "schema",
      url: url(server.config, `?sslmode=require&sslrootcert=${UNTRUSTED}`),
    },
  ], {});
  expectRun(run, run.passed === 2 && run.failed === 3, "2 pass, 3 fail");
  assert.match(run.output, /^SSL verify-full localhost true$/m);
  assert.match(run.output, /^SSL verify-ca address true$/m);
  assert.ok(
    run.output.includes(
      `Cannot connect to PostgreSQL at ${address}: its certificate is not for "127.0.0.1" (sslmode=verify-full;`,
    ),
    run.output,
  );
  // Both untrusted cases fail in setup, naming the server and the root.
  const untrusted = run.output.split("\n").filter((l) =>
    l.includes("failed to set up") && l.includes(address) &&
    l.includes("self-signed certificate")
  );
  assert.equal(untrusted.length, 2, run.output);
  // The probe says the same, naming the server.
  const probe = await probePostgres(
    postgresConfig({
      DATABASE_URL: url(
        server.config,
        `?sslmode=verify-ca&sslrootcert=${UNTRUSTED}`,
      ),
    }),
  );
  assert.equal(probe.ok, false);
  assert.match(
    probe.reason ?? "",
    new RegExp(
      `^cannot use ${address}: its certificate is not trusted \\(sslmode=verify-ca, sslrootcert="${UNTRUSTED}": self-signed certificate`,
    ),
  );
  // Refused credentials over TLS are told apart too (postgres.js removes
  // the pool's listeners from a socket it starts TLS on: discarding the
  // pool waited for a close it could no longer see, and the probe timed out).
  const refused = await probePostgres(
    postgresConfig({
      DATABASE_URL: url(
        { ...server.config, password: "not-the-password" },
        "?sslmode=require",
      ),
    }),
  );
  assert.equal(
    refused.reason,
    'bad credentials (password authentication failed for user "postgres")',
  );
  assert.deepEqual(await itkitObjects(server.config), []);
});

Deno.test("against a server without TLS, require fails naming the server, prefer (also the default) connects in plain text", async () => {
  await using server = await startPostgresServer({ password: PASSWORD });
  const address = `127.0.0.1:${server.config.port}`;
  // The server's handle, printed, names it without the password.
  assert.ok(Deno.inspect(server).includes(`postgres:***@${address}`));
  assert.ok(!Deno.inspect(server).includes(PASSWORD.slice(0, 6)));
  const run = await runCases([
    {
      name: "require",
      isolation: "schema",
      url: url(server.config, "?sslmode=require"),
    },
    {
      name: "prefer",
      isolation: "transaction",
      url: url(server.config, "?sslmode=prefer"),
    },
    { name: "default", isolation: "database", url: url(server.config) },
  ], {});
  expectRun(run, run.passed === 2 && run.failed === 1, "2 pass, 1 fails");
  assert.match(run.output, /^SSL prefer false$/m);
  assert.match(run.output, /^SSL default false$/m);
  const refused =
    `Cannot connect to PostgreSQL at ${address}: the server does not accept TLS connections (sslmode=require;`;
  assert.ok(run.output.includes(refused), run.output);
  const probe = await probePostgres(
    postgresConfig({ DATABASE_URL: url(server.config, "?sslmode=require") }),
  );
  assert.match(
    probe.reason ?? "",
    new RegExp(
      `^cannot use ${address}: the server does not accept TLS connections`,
    ),
  );
  assert.deepEqual(await itkitObjects(server.config), []);
});

Deno.test("an sslmode that is not one is one error naming the variable", async () => {
  for (
    const [env, message] of [
      [
        { PGSSLMODE: "requir" },
        'PGSSLMODE "requir" is not an sslmode (expected sslmode disable, prefer, require, verify-ca or verify-full)',
      ],
      [
        {
          DATABASE_URL: `postgres://app:${
            encodeURIComponent(PASSWORD)
          }@db.test/app?sslmode=on`,
        },
        'DATABASE_URL "postgres://app:***@db.test/app?sslmode=on" has sslmode "on" (expected sslmode disable, prefer, require, verify-ca or verify-full)',
      ],
    ] as const
  ) {
    const run = await runDenoTest(["print_config.ts"], { env });
    expectRun(run, run.failed === 1, "the test must fail");
    assert.equal(
      run.output.split("\n").filter((l) => l.includes(message)).length,
      1,
      run.output,
    );
    assert.ok(!run.output.includes(PASSWORD), run.output);
  }
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(certs, { recursive: true });
});
