import assert from "node:assert/strict";
import { provisionServices } from "../../services.ts";
import {
  closedPort,
  eventually,
  expectRun,
  listeningInodes,
  runInlineTest,
  stillListening,
} from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);
const SYSTEM_TMP = Deno.env.get("TMPDIR") ?? "/tmp";
/**
 * The temp dir of the processes these tests start: their own, so that servers
 * other processes start on the machine do not count.
 */
const TMP = await Deno.makeTempDir({ prefix: "itkit-services-test-" });
// Like /tmp: the PostgreSQL server runs as another user when we are root.
await Deno.chmod(TMP, 0o1777);
globalThis.addEventListener("unload", () => {
  Deno.removeSync(TMP, { recursive: true });
});

/** The toolkit's server directories in `dir`. */
async function serverDirs(dir = TMP): Promise<Set<string>> {
  const dirs = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (/^(?:itkit-(pg|s3rver)-|redis-itkit-)/.test(entry.name)) {
      dirs.add(`${dir}/${entry.name}`);
    }
  }
  return dirs;
}

/** Processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(text)) pids.push(Number(entry.name));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * `cli.ts run` (services it starts itself) on tests/run/testdata/summary.ts, with the
 * run summary on; `port` is the closed port its down-service test probes.
 */
async function runSummary(
  extra: Record<string, string> = {},
): Promise<{ port: number; code: number; err: string }> {
  const port = closedPort();
  const env = Deno.env.toObject();
  delete env.DATABASE_URL;
  delete env.S3_ENDPOINT;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "run",
      "--",
      Deno.execPath(),
      "test",
      "-A",
      "--no-check",
      "tests/run/testdata/summary.ts",
    ],
    cwd: ROOT,
    clearEnv: true,
    env: {
      ...env,
      NO_COLOR: "1",
      ...extra,
      ITKIT_SUMMARY: "1",
      ITKIT_TEST_PORT: String(port),
      ITKIT_REQUIRE: "",
      // Its servers' dirs in ours: other tests may run servers meanwhile.
      TMPDIR: TMP,
    },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { port, code, err: new TextDecoder().decode(stderr) };
}

/** Run inline by the tests below. */
const LOCAL_SERVICES = `import { PutObjectCommand } from "@aws-sdk/client-s3";
import { integration } from "@itkit/core";
import { localServices } from "@itkit/core/services";
import { postgresDatabase } from "@itkit/core/postgres";
import { s3Bucket } from "@itkit/core/s3";

await using services = await localServices();
console.log(\`SERVICES \${JSON.stringify(services.services)}\`);

integration("uses the local services", {
  fixtures: {
    db: postgresDatabase.fixture({ isolation: "schema" }),
    bucket: s3Bucket.fixture(),
  },
}, async (_t, { db, bucket }) => {
  await db.sql\`create table t (x int)\`;
  await bucket.client.send(
    new PutObjectCommand({ Bucket: bucket.name, Key: "k", Body: "v" }),
  );
});
`;

Deno.test("with DATABASE_URL and S3_ENDPOINT set, nothing is provisioned", async () => {
  // Server dirs would be made in our TMP (other tests run servers meanwhile).
  Deno.env.set("TMPDIR", TMP);
  using _restore = {
    [Symbol.dispose]: () => Deno.env.set("TMPDIR", SYSTEM_TMP),
  };
  const before = await serverDirs();
  await using services = await provisionServices({
    env: {
      DATABASE_URL: "postgres://app:secret@127.0.0.1:5999/app",
      S3_ENDPOINT: "http://127.0.0.1:9999",
    },
  });
  assert.deepEqual(services.env, {});
  assert.deepEqual(services.services, [
    {
      kind: "postgres",
      origin: "configured",
      address: "postgres://app:***@127.0.0.1:5999/app",
    },
    { kind: "s3", origin: "configured", address: "http://127.0.0.1:9999" },
  ]);
  assert.deepEqual(await serverDirs(), before);
});

Deno.test("a test module's localServices() start once, serve its fixtures and stop with the process", async () => {
  const before = await serverDirs();
  const run = await runInlineTest({ "local_services.ts": LOCAL_SERVICES }, {
    env: {
      DATABASE_URL: "",
      S3_ENDPOINT: "",
      REDIS_URL: "",
      ITKIT_REQUIRE: "1",
      TMPDIR: TMP,
    },
    args: ["--sanitize-ops", "--sanitize-resources"],
  });
  expectRun(run, run.code === 0 && run.passed === 1, "the test should pass");
  const services = JSON.parse(/^SERVICES (.*)$/m.exec(run.output)![1]!);
  assert.deepEqual(
    services.map((s: { kind: string; origin: string }) =>
      `${s.kind} ${s.origin}`
    ),
    [
      "postgres native",
      "s3 s3rver",
      "redis launched",
    ],
  );
  // The helper stops the servers and removes their directories once the
  // test process's end closes its stdin: after the run, on its own.
  await eventually(
    async () => {
      const now = await serverDirs();
      return [...now].every((dir) => before.has(dir));
    },
    "the helper removed its server directories",
    {
      ms: 60_000,
      why:
        "it stops PostgreSQL (a checkpoint) and s3rver: seconds on a loaded machine; only a bound for a helper that never does",
    },
  );
});

Deno.test("configured endpoints win over localServices()", async () => {
  const before = await serverDirs();
  const run = await runInlineTest({ "local_services.ts": LOCAL_SERVICES }, {
    env: {
      ITKIT_REQUIRE: "1",
      TMPDIR: TMP,
      // Configured (never probed here): nothing is started for it either.
      REDIS_URL: "redis://127.0.0.1:6379",
    },
  });
  expectRun(
    run,
    run.code === 0,
    "the test should pass against the configured servers",
  );
  const services = JSON.parse(/^SERVICES (.*)$/m.exec(run.output)![1]!);
  assert.deepEqual(services.map((s: { origin: string }) => s.origin), [
    "configured",
    "configured",
    "configured",
  ]);
  assert.deepEqual(await serverDirs(), before);
});

Deno.test("the services CLI stopped by SIGINT leaves no process, port or temp dir behind", async () => {
  const before = await serverDirs();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "services"],
    cwd: ROOT,
    env: { DATABASE_URL: "", S3_ENDPOINT: "", NO_COLOR: "1", TMPDIR: TMP },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("S3_REGION")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const pgPort = Number(/DATABASE_URL=\S+@127\.0\.0\.1:(\d+)\//.exec(out)?.[1]);
  const s3Port = Number(
    /S3_ENDPOINT=http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1],
  );
  assert.ok(pgPort && s3Port, `no exports in:\n${out}`);
  const pgListeners = await listeningInodes(pgPort);
  const s3Listeners = await listeningInodes(s3Port);
  assert.ok(pgListeners.length > 0 && s3Listeners.length > 0);
  const dirs = [...await serverDirs()].filter((d) => !before.has(d));
  assert.equal(
    dirs.length,
    2,
    `expected a PostgreSQL and an s3rver dir, got ${dirs}`,
  );
  const pgDir = dirs.find((d) => d.includes("itkit-pg-"))!;
  assert.ok(
    (await processesMentioning(pgDir)).length > 0,
    "postgres runs from its dir",
  );

  child.kill("SIGINT");
  const status = await child.status;
  await reader.cancel();
  const err = await new Response(child.stderr).text();
  assert.equal(status.code, 0, err);
  assert.match(err, /itkit: stopping services/);
  // Not by connecting: under a parallel suite another process may have taken
  // a freed port already. None of the sockets that listened is left.
  assert.deepEqual(await stillListening(pgPort, pgListeners), []);
  assert.deepEqual(await stillListening(s3Port, s3Listeners), []);
  assert.deepEqual(await processesMentioning(pgDir), []);
  for (const dir of dirs) {
    await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
  }
});

Deno.test("the run summary names each service's origin, the ignored tests and fixture timings, once", async () => {
  const { port, code, err } = await runSummary();
  assert.equal(code, 0, err);
  assert.equal(err.match(/itkit run summary/g)?.length, 1, err);
  assert.match(
    err,
    /postgres: throwaway PostgreSQL server \(native binaries\) at 127\.0\.0\.1:\d+/,
  );
  assert.match(
    err,
    /s3: s3rver \(S3-compatible, not MinIO\) at http:\/\/127\.0\.0\.1:\d+/,
  );
  assert.doesNotMatch(err, /s3: .*MinIO at/);
  assert.match(err, /ignored tests: 1/);
  assert.match(
    err,
    new RegExp(
      `\\[integration\\] needs a service that is down: tcp 127\\.0\\.0\\.1:${port}: connection refused 127\\.0\\.0\\.1:${port}`,
    ),
  );
  for (const kind of ["tmpDir", "s3Bucket", "postgresDatabase"]) {
    assert.match(err, new RegExp(`    ${kind}: 1, \\d+\\.\\d+, \\d+\\.\\d+`));
  }
  // The reaper's log, named once, says what it removed.
  const logs = [...err.matchAll(/reaper log \(.*\): (\S+)/g)].map((m) => m[1]);
  assert.equal(logs.length, 1, err);
  const log = await Deno.readTextFile(logs[0]!);
  await Deno.remove(logs[0]!);
  assert.match(log, /removed dir \S+ \(handed off/, log);
  assert.match(log, /removed bucket itkit-\S+ \(handed off/, log);
});

Deno.test("ITKIT_S3=ceph runs the tests on a Ceph RADOS Gateway, names it in the run summary, and stops it", async () => {
  const { code, err } = await runSummary({ ITKIT_S3: "ceph" });
  assert.equal(code, 0, err);
  assert.match(
    err,
    /s3: throwaway Ceph RADOS Gateway \(real S3: signatures, versioning\) at http:\/\/127\.0\.0\.1:\d+/,
  );
  assert.match(err, /\n {4}s3Bucket: 1, \d+\.\d+, \d+\.\d+/);
  assert.deepEqual(await processesMentioning(`${TMP}/itkit-rgw-`), []);
});

Deno.test("ITKIT_S3 with an unknown value is one clear error, before anything starts", async () => {
  await assert.rejects(
    provisionServices({ env: { ITKIT_S3: "minio" } }),
    {
      name: "TypeError",
      message:
        'Cannot read ITKIT_S3: "minio" is not an S3 server (expected s3rver, the default, or ceph for a throwaway Ceph RADOS Gateway)',
    },
  );
});
