// No password, secret key or token in anything the toolkit prints: errors,
// probe results and reasons, the "still running" message, ignored tests, the
// run summary, the reaper's log, `cli.ts` output, and inspected configs and
// handles. The secrets are distinctive and hold `/ @ : % #`, the characters
// that broke masking; none of them, nor any piece of one, may show.
import assert from "node:assert/strict";
import {
  closedPort,
  expectRun,
  runDenoTest,
  runInlineTest,
} from "../_shared/harness.ts";
import { PG, S3, withAdmin } from "../_shared/services.ts";
import { probeHttp } from "../../mod.ts";
import { postgresConfig } from "../../postgres.ts";
import { s3Config } from "../../s3.ts";
import { waitForReapers } from "../../src/run/reaper.ts";

/** The password of a role on the run's server. */
const PG_PASSWORD = "Pg1pass/Pg2part@Pg3part:%41#Pg4part";
/** A wrong password for that role. */
const WRONG_PASSWORD = "Wr1pass/Wr2part@Wr3part:%zz#Wr4part";
/** A secret key (s3rver accepts any). */
const S3_SECRET = "S31secret/S32part@S33part:%42#S34part";
/** A password written into URLs as is, unencoded. */
const RAW_PASSWORD = "Hx1pass/Hx2part@Hx3part:%43#Hx4part";
const SECRETS = [PG_PASSWORD, WRONG_PASSWORD, S3_SECRET, RAW_PASSWORD];

/** A secret as it could show: whole, encoded, or any piece of it. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    ...secret.split(/[/@:%#]/).filter((piece) => piece.length >= 5),
  ];
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    for (const form of forms(secret)) {
      assert.ok(
        !text.includes(form),
        `${where} shows ${JSON.stringify(form)} (of a secret):\n${text}`,
      );
    }
  }
}

/** A login role on the run's server with {@linkcode PG_PASSWORD}. */
async function secretRole(): Promise<{ name: string } & AsyncDisposable> {
  const name = `secrets_${Deno.pid}_${Date.now()}`;
  await withAdmin((sql) =>
    sql.unsafe(
      `create role ${name} login superuser password '${PG_PASSWORD}'`,
    )
  );
  return {
    name,
    [Symbol.asyncDispose]: () =>
      withAdmin((sql) => sql.unsafe(`drop role ${name}`)).then(() => {}),
  };
}

function databaseUrl(user: string, password: string, port = PG.port): string {
  return `postgres://${user}:${
    encodeURIComponent(password)
  }@${PG.host}:${port}/${PG.database}`;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** `cli.ts` with only `env` (and what Deno needs) in its environment. */
async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const keep: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) keep[name] = value;
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    clearEnv: true,
    env: { ...keep, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, output: decode(stdout) + decode(stderr) };
}

Deno.test("a probe still running at load is named with its target, no secret", async () => {
  // A port that takes connections and never answers: both probes are still
  // running when the module has loaded.
  using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = silent.addr.port;
  const run = await runInlineTest({
    "secrets_pending.ts":
      `// Probes that are never awaited: the module fails at load, naming them.
import { probePostgres } from "@itkit/core/postgres";
import { probeS3 } from "@itkit/core/s3";

probePostgres();
probeS3();
`,
  }, {
    env: {
      DATABASE_URL: databaseUrl("app", PG_PASSWORD, port),
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_SECRET_KEY: S3_SECRET,
    },
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    new RegExp(
      `Probe postgres postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/${PG.database}, s3 http://127\\.0\\.0\\.1:${port} was still running when the test module finished loading`,
    ),
  );
  assertNoSecret(run.output, "the run");
});

Deno.test("probes, ignored tests, thrown errors, the summary, the reaper log and inspected handles show no secret", async () => {
  await using role = await secretRole();
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  const run = await runDenoTest(["secrets.ts"], {
    env: {
      DATABASE_URL: databaseUrl(role.name, PG_PASSWORD),
      S3_ENDPOINT: S3.endpoint.origin,
      S3_ACCESS_KEY: S3.accessKeyId,
      S3_SECRET_KEY: S3_SECRET,
      SECRETS_CLOSED_PORT: String(closedPort()),
      SECRETS_WRONG_PASSWORD: WRONG_PASSWORD,
      ITKIT_SUMMARY: "1",
      ITKIT_REAPER_LOG: log,
    },
  });
  await waitForReapers(log);
  const logText = await Deno.readTextFile(log);
  await Deno.remove(log);
  expectRun(run, run.code === 0, "the run must pass");
  // Every path ran.
  for (
    const expected of [
      /postgres with a wrong password .*bad credentials/,
      /postgres refused .*connection refused/,
      /s3 refused .*connection refused/,
      /^db: /m,
      /^db\.sql: /m,
      /^db\.env: \{[^}]*PGPASSWORD: "\*\*\*"/m,
      /^thrown: Error: Cannot/m,
      /itkit run summary/,
    ]
  ) {
    assert.match(run.output, expected);
  }
  // Ceph RGW checks the secret key: the bucket's test is ignored there.
  assert.match(run.output, /^bucket: |the bucket handle .*bad credentials/m);
  assert.match(logText, /could not create bucket \S+ ahead/);
  assertNoSecret(run.output, "the run");
  assertNoSecret(logText, "the reaper log");
});

Deno.test("malformed variables are reported with every secret masked", () => {
  const messages: string[] = [];
  const attempts: [string, () => unknown][] = [
    [
      "DATABASE_URL",
      () =>
        postgresConfig({
          DATABASE_URL: `postgres://app:${RAW_PASSWORD}@127.0.0.1:5432/app`,
        }),
    ],
    [
      "DATABASE_URL",
      () =>
        postgresConfig({
          DATABASE_URL: `mysql://app:${RAW_PASSWORD}@127.0.0.1:5432/app`,
        }),
    ],
    [
      "S3_ENDPOINT",
      () => s3Config({ S3_ENDPOINT: `http://AKID:${RAW_PASSWORD}@h:9000` }),
    ],
    [
      "S3_ENDPOINT",
      () => s3Config({ S3_ENDPOINT: `http://AKID:${S3_SECRET}@127.0.0.1` }),
    ],
    [
      "S3_ENDPOINT",
      () => s3Config({ S3_ENDPOINT: `ftp://AKID:${S3_SECRET}@127.0.0.1` }),
    ],
    [
      "S3_SECRET_KEY",
      () => s3Config({ S3_SECRET_KEY: `${S3_SECRET} x` }),
    ],
    // A password in a parameter other than `password` (not supported).
    [
      "DATABASE_URL",
      () =>
        postgresConfig({
          DATABASE_URL: `postgres://app@127.0.0.1:5432/app?sslpassword=${
            encodeURIComponent(PG_PASSWORD)
          }`,
        }),
    ],
    // User info with no "@" and no host.
    [
      "S3_ENDPOINT",
      () =>
        s3Config({
          S3_ENDPOINT: `ftp://AKID:${encodeURIComponent(S3_SECRET)}`,
        }),
    ],
    [
      "DATABASE_URL",
      () =>
        postgresConfig({
          DATABASE_URL: `postgres://app:${encodeURIComponent(PG_PASSWORD)}`,
        }),
    ],
  ];
  for (const [variable, attempt] of attempts) {
    let error: unknown;
    try {
      attempt();
    } catch (thrown) {
      error = thrown;
    }
    assert.ok(error instanceof TypeError, `${variable}: ${error}`);
    assert.match(
      error.message,
      new RegExp(`^Cannot configure .*: ${variable} `),
    );
    messages.push(Deno.inspect(error));
  }
  // What the configs print.
  messages.push(
    Deno.inspect(
      postgresConfig({ DATABASE_URL: databaseUrl("app", PG_PASSWORD) }),
    ),
    Deno.inspect(
      postgresConfig({ PGHOST: "127.0.0.1", PGPASSWORD: PG_PASSWORD }),
    ),
    Deno.inspect(s3Config({ S3_SECRET_KEY: S3_SECRET })),
  );
  assertNoSecret(messages.join("\n"), "the errors and configs");
});

Deno.test("an @ outside a URL's authority is no password: the URL prints as it is", async () => {
  const url = `http://127.0.0.1:${closedPort()}/users/a@b`;
  const result = await probeHttp(url, { timeout: 1_000 });
  assert.equal(result.ok, false);
  assert.equal(result.target, url);
});

Deno.test("cli.ts run, services, permissions and sweep show no secret", async () => {
  await using role = await secretRole();
  const closed = closedPort();
  // Configured as they are written, unencoded: nothing is started.
  const raw = {
    DATABASE_URL: `postgres://app_at:${RAW_PASSWORD}@127.0.0.1:${closed}/app`,
    S3_ENDPOINT: `http://AKID:${S3_SECRET}@127.0.0.1:${closed}`,
  };
  const runs = [
    await cli(["run", "--", Deno.execPath(), "eval", "console.log('ran')"], {
      ...raw,
      ITKIT_SUMMARY: "1",
    }),
    await cli(["services", "--until-stdin-closes"], raw),
  ];
  for (const { output } of runs) {
    assert.match(
      output,
      new RegExp(
        `postgres: configured at postgres://app_at:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/app`,
      ),
    );
  }
  assert.match(runs[0]!.output, /^ran$/m);
  assert.match(runs[0]!.output, /itkit run summary/);
  const good = {
    DATABASE_URL: databaseUrl(role.name, PG_PASSWORD),
    S3_ENDPOINT: S3.endpoint.origin,
    S3_ACCESS_KEY: S3.accessKeyId,
    S3_SECRET_KEY: S3_SECRET,
  };
  const pgVars = {
    PGHOST: PG.host,
    PGPORT: String(PG.port),
    PGUSER: role.name,
    PGPASSWORD: PG_PASSWORD,
  };
  runs.push(
    await cli(["permissions"], good),
    await cli(["permissions", "--json", "--clients"], pgVars),
    await cli(["permissions"], raw),
    await cli(["permissions"], { DATABASE_URL: raw.DATABASE_URL }),
    await cli(["sweep", "--dry-run"], {
      DATABASE_URL: databaseUrl(role.name, WRONG_PASSWORD),
      // The run's store as it is: the sweep goes on to PostgreSQL.
      S3_ENDPOINT: S3.endpoint.origin,
      S3_ACCESS_KEY: S3.accessKeyId,
      S3_SECRET_KEY: S3.secretAccessKey,
    }),
    await cli(["sweep", "--dry-run", "--older-than", "1d"], good),
  );
  assert.match(runs.at(-2)!.output, /bad credentials|password authentication/);
  for (const { output } of runs) assertNoSecret(output, "cli.ts");
});
