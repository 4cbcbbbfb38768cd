import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "../_shared/harness.ts";
import { S3 } from "../_shared/services.ts";

const ROOT = new URL("../../", import.meta.url);

/** The examples that use only the configured services (no HEALTH_URL). */
const SERVICE_EXAMPLES = [
  "examples/database_test.ts",
  "examples/transaction_test.ts",
  "examples/results_store_s3_test.ts",
  "examples/minio_upload_test.ts",
  "examples/s3_settings_test.ts",
  "examples/file_processing_test.ts",
];

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

Deno.test("cli.ts permissions prints the flags that run the service examples without -A", async () => {
  const printed = await cli(["permissions"]);
  assert.equal(printed.code, 0, printed.err);
  const flags = printed.out.trim().split(" ");
  assert.ok(flags.every((f) => f.startsWith("--allow-")), printed.out);
  assert.ok(!flags.includes("--allow-all") && !flags.includes("-A"));
  const run = await runDenoTest(SERVICE_EXAMPLES, {
    permissions: flags,
    env: { ITKIT_REQUIRE: "1" },
  });
  expectRun(
    run,
    run.code === 0 && run.failed === 0 && run.ignored === 0 &&
      run.passed === 6,
    "the service examples pass with the printed flags",
  );
});

Deno.test("cli.ts permissions --json names the configured endpoint, the toolkit's variables and, with --clients, the presets", async () => {
  const plain = JSON.parse((await cli(["permissions", "--json"])).out);
  // A local endpoint without its port: the run's services get free ports.
  assert.ok(plain.net.includes(S3.endpoint.hostname), plain.net);
  for (
    const name of [
      "S3_ENDPOINT",
      "DATABASE_URL",
      "ITKIT_REQUIRE",
      // Read by the S3 lease and the launchers.
      "ITKIT_LEASE_TTL",
      "ITKIT_CACHE_DIR",
    ]
  ) {
    assert.ok(plain.env.includes(name), name);
  }
  assert.equal(plain.run, undefined);
  assert.ok(!plain.env.includes("AWS_PROFILE"));
  const wide = JSON.parse(
    (await cli(["permissions", "--json", "--clients", "--database-isolation"]))
      .out,
  );
  assert.ok(wide.env.includes("AWS_PROFILE") && wide.env.includes("PGMAX"));
  // postgres.js 4's and pg's presets.
  assert.ok(wide.env.includes("PGMIN") && wide.env.includes("PGBINARY"));
  assert.deepEqual(wide.sys.toSorted(), [
    "gid",
    "homedir",
    "osRelease",
    "uid",
    "userInfo",
  ]);
  assert.deepEqual(wide.run, ["deno"]);
});

Deno.test("cli.ts permissions --json can be committed: no port of a local service, no $HOME, the same from run to run", async () => {
  // Deno's cache stays where it is when HOME changes (else a cold start).
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
  })
    .output();
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout));
  const json = (s3: number, pg: number, home: string) =>
    cli(["permissions", "--json", "--clients", "--database-isolation"], {
      S3_ENDPOINT: `http://127.0.0.1:${s3}`,
      DATABASE_URL: `postgres://app:secret@localhost:${pg}/app`,
      HOME: home,
      DENO_DIR: denoDir,
    });
  const first = await json(41_001, 42_001, "/home/alice");
  const second = await json(43_002, 44_002, "/home/bob");
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out, second.out);
  const set = JSON.parse(first.out);
  assert.deepEqual(set.net, ["127.0.0.1", "localhost"]);
  assert.doesNotMatch(first.out, /\/home\/alice|41001|42001/);
  // What it left out is said, on stderr.
  assert.match(
    first.err,
    /left out of the set, as paths of this machine's home directory .*: read \/home\/alice\/\.aws\/config, read \/home\/alice\/\.aws\/credentials/,
  );
  // A remote server's port is configuration: it stays.
  const remote = await cli(["permissions", "--json"], {
    S3_ENDPOINT: "http://s3.internal:9000",
    DATABASE_URL: "postgres://app@db.internal:5432/app",
    REDIS_URL: "",
  });
  assert.deepEqual(JSON.parse(remote.out).net, [
    "s3.internal:9000",
    "db.internal:5432",
  ]);
});

Deno.test("cli.ts permissions rejects an unknown option by name", async () => {
  const result = await cli(["permissions", "--everything"]);
  assert.equal(result.code, 2);
  assert.equal(
    result.err.split("\n")[0],
    "itkit: permissions: Unknown option '--everything'",
  );
});

Deno.test("the examples set of deno.json holds every variable processPermissions() names", async () => {
  const { processPermissions } = await import("../../services.ts");
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const set = config.permissions.examples;
  const needed = processPermissions({
    env: { S3_ENDPOINT: "http://127.0.0.1:9000" },
  });
  const missing = (needed.env as string[]).filter((name) =>
    !set.env.includes(name)
  );
  assert.deepEqual(missing, []);
  assert.deepEqual(set.net, ["127.0.0.1", "localhost"]);
  // The app example runs its app with `deno` (appServer).
  assert.deepEqual(set.run, ["deno"]);
  // The examples with pools of their own run under the postgres.js 4 and pg
  // presets: a test granted more than its process fails.
  const { pgClientPermissions, postgresClientPermissions } = await import(
    "../../postgres.ts"
  );
  for (const preset of [postgresClientPermissions(), pgClientPermissions()]) {
    assert.ok(typeof preset === "object");
    const env = (preset.env as string[]).filter((n) => !set.env.includes(n));
    assert.deepEqual(env, []);
    const sys = ((preset.sys ?? []) as string[]).filter((n) =>
      !set.sys.includes(n)
    );
    assert.deepEqual(sys, []);
  }
});
