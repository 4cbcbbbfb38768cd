import assert from "node:assert/strict";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { isSweepable } from "../../src/run/naming.ts";
import { s3Client } from "../../s3.ts";
import { provisionServices, sweep } from "../../services.ts";
import { s3Config } from "../../s3.ts";
import { postgresConfig, postgresUrl } from "../../postgres.ts";
import { closedPort, runDenoTest, runInlineTest } from "../_shared/harness.ts";
import type postgres from "postgres";
import {
  bucketNames as bucketNamesOn,
  itkitObjects as itkitObjectsOn,
  withAdmin as withAdminOn,
} from "../_shared/services.ts";
import { tmpDir } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("isSweepable() accepts only toolkit names old enough", () => {
  const now = new Date();
  const runId = (Date.now() - 5_000).toString(36) + "abcd";
  assert.equal(isSweepable(`itkit-${runId}-3`, "bucket", now), true);
  assert.equal(isSweepable(`reports-${runId}-3`, "bucket", now), true);
  assert.equal(isSweepable(`itkit_${runId}_3`, "sql", now), true);
  assert.equal(isSweepable(`itkit_tpl_${runId}_3`, "sql", now), true);
  assert.equal(
    isSweepable(`itkit-${runId}-3`, "bucket", new Date(Date.now() - 60_000)),
    false,
  );
  for (
    const name of [
      "itkit-data",
      "itkit-notarunid00-1",
      "user_schema",
      "itkit_zzzzzzzzzzzz_1",
    ]
  ) {
    assert.equal(
      isSweepable(name, "bucket", now) || isSweepable(name, "sql", now),
      false,
      name,
    );
  }
});

Deno.test("after a SIGKILL mid-test, sweep removes what the run left and nothing else", async () => {
  // Private servers and temp dir: a sweep of everything old enough must not
  // touch what tests running beside this one are using.
  await using services = await provisionServices({ env: {} });
  const S3 = s3Config(services.env);
  const PG = postgresConfig(services.env);
  const tmp = await Deno.makeTempDir({ prefix: "itkit-sweep-" });
  const bucketNames = () => bucketNamesOn(S3);
  const itkitObjects = () => itkitObjectsOn(PG);
  const withAdmin = <T>(fn: (sql: postgres.Sql) => Promise<T>) =>
    withAdminOn(fn, undefined, PG);
  /**
   * Waits until the (private) server has no client session but the asking
   * one, on one connection (a closed one's backend lingers a moment).
   */
  const clientsGone = () =>
    withAdmin(async (sql) => {
      const until = Date.now() + 60_000;
      for (;;) {
        const [{ n }] = await sql<[{ n: number }]>`
          select count(*)::int as n from pg_stat_activity
          where backend_type = 'client backend' and pid <> pg_backend_pid()`;
        if (n === 0) return;
        assert.ok(Date.now() < until, "the killed run's backends never ended");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  // Resources the toolkit did not create, some with look-alike names.
  const admin = await s3Client(S3);
  const userBuckets = ["user-data-keep", "itkit-notarunid00-1"];
  for (const Bucket of userBuckets) {
    await admin.send(new CreateBucketCommand({ Bucket }));
  }
  await withAdmin((sql) => sql`create schema user_schema_keep`);
  await withAdmin((sql) => sql`create database user_db_keep`);
  const userDir = await Deno.makeTempDir({
    dir: tmp,
    prefix: "itkit-user-keep-",
  });
  // Its own: the killed helper's lines must not fail the outer run's reaper
  // report.
  const log = await Deno.makeTempFile({ dir: tmp, prefix: "reaper-log-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", "tests/run/testdata/crash.ts"],
      cwd: ROOT,
      // Both the test process and its reaper die: only the sweep is left.
      env: {
        NO_COLOR: "1",
        ...services.env,
        TMPDIR: tmp,
        ITKIT_REAPER: "0",
        ITKIT_REAPER_LOG: log,
      },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    while (!/READY .*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const [, dir, bucket, schema, database] = /READY (\S+) (\S+) (\S+) (\S+)/
      .exec(out)!;
    // The machine crashes: the test process and its helpers die at once.
    await new Deno.Command("pkill", {
      args: ["-KILL", "-P", String(child.pid)],
    }).output();
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();

    // The crash left everything behind (the database helper was killed
    // too). A statement a killed process had sent still runs to its end on
    // the server (a CREATE DATABASE of the helper's pool commits then): wait
    // until the server has no client but ours, so nothing lands after the
    // sweep. The budget only bounds a statement that never ends.
    assert.ok(await exists(dir!), "the temp dir survived the crash");
    assert.ok((await bucketNames()).includes(bucket!));
    await clientsGone();
    const left = await itkitObjects();
    assert.ok(left.includes(`schema ${schema}`), String(left));
    const databaseLeft = left.includes(`database ${database}`);

    const report = await sweep({
      olderThan: 0,
      s3: S3,
      postgres: PG,
      tmpDir: tmp,
    });
    assert.deepEqual(report.failed, []);
    assert.ok(
      report.removed.includes(`bucket ${bucket}`),
      String(report.removed),
    );
    assert.equal(
      report.removed.includes(`database ${database}`),
      databaseLeft,
    );
    assert.ok(report.removed.includes(`schema ${PG.database}.${schema}`));

    // Zero leftovers...
    assert.equal(await exists(dir!), false);
    assert.ok(!(await bucketNames()).includes(bucket!));
    assert.deepEqual(await itkitObjects(), []);
    // ...and what the toolkit did not create is untouched.
    for (const name of userBuckets) {
      assert.ok((await bucketNames()).includes(name), name);
    }
    const kept = await withAdmin((sql) =>
      sql`select (select count(*)::int from pg_namespace where nspname = 'user_schema_keep') as s,
                 (select count(*)::int from pg_database where datname = 'user_db_keep') as d`
    );
    assert.deepEqual({ ...kept[0] }, { s: 1, d: 1 });
    assert.ok(await exists(userDir));
  } finally {
    for (const Bucket of userBuckets) {
      await admin.send(new DeleteBucketCommand({ Bucket }));
    }
    admin.destroy();
    await withAdmin((sql) => sql`drop schema if exists user_schema_keep`);
    await withAdmin((sql) => sql`drop database if exists user_db_keep`);
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sweep() rejects a negative age", async () => {
  await assert.rejects(
    () => sweep({ olderThan: -1, s3: false, postgres: false, tmpDir: false }),
    new RangeError(
      "Cannot sweep: olderThan must be a non-negative number of milliseconds, got -1",
    ),
  );
});

Deno.test("sweep() finds temp dirs with a custom prefix, and only marked ones", async () => {
  const parent = await Deno.makeTempDir({ prefix: "sweep-parent-" });
  try {
    const dir = await tmpDir({ prefix: "report-", dir: parent });
    const plain = `${parent}/report-keep`;
    await Deno.mkdir(plain);
    assert.match(dir.path, /\/report-itkit-[0-9a-z]{12,13}-\d+$/);
    const report = await sweep({
      olderThan: 0,
      s3: false,
      postgres: false,
      tmpDir: parent,
    });
    assert.deepEqual(report.removed, [`dir ${dir.path}`]);
    assert.deepEqual([...report.inUse, ...report.failed], []);
    assert.equal(await exists(dir.path), false);
    assert.ok(await exists(plain));
    await dir.close();
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("sweep() leaves a live run's databases alone while the run drops them", async () => {
  // Young toolkit databases, dropped one by one with force (as a run's
  // helper does) while sweeps run: none is visited, none fails a sweep. A
  // server of its own: a sweep must not touch what other tests are using.
  await using services = await provisionServices({
    env: {},
    services: ["postgres"],
  });
  const PG = postgresConfig(services.env);
  const withAdmin = <T>(fn: (sql: postgres.Sql) => Promise<T>) =>
    withAdminOn(fn, undefined, PG);
  const stamp = `itkit_${Date.now().toString(36)}beef`;
  const names = Array.from({ length: 8 }, (_, i) => `${stamp}_${i}`);
  for (const name of names) {
    await withAdmin((sql) => sql`create database ${sql(name)}`);
  }
  let dropping = true;
  const dropped = (async () => {
    for (const name of names) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await withAdmin((sql) => sql`drop database ${sql(name)} with (force)`);
    }
  })().finally(() => dropping = false);
  const reports = [];
  while (dropping) {
    reports.push(
      await sweep({
        olderThan: 3_600_000,
        s3: false,
        postgres: PG,
        tmpDir: false,
      }),
    );
  }
  await dropped;
  assert.ok(reports.length > 0);
  for (const report of reports) {
    assert.deepEqual([...report.removed, ...report.failed], []);
  }
});

Deno.test("sweep() with an S3 store that refuses sweeps PostgreSQL all the same and reports the store, secret masked", async () => {
  await using services = await provisionServices({
    env: {},
    services: ["postgres"],
  });
  const PG = postgresConfig(services.env);
  const port = closedPort();
  const S3 = s3Config({
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_SECRET_KEY: "never-shown-secret",
  });
  // What a killed run (with its reaper) left: a schema an hour old, no lease.
  const schema = `itkit_${(Date.now() - 3_600_000).toString(36)}dead_1`;
  await withAdminOn((sql) => sql`create schema ${sql(schema)}`, undefined, PG);
  const report = await sweep({
    olderThan: 0,
    s3: S3,
    postgres: PG,
    tmpDir: false,
  });
  assert.deepEqual(report.removed, [`schema ${PG.database}.${schema}`]);
  assert.deepEqual([...report.inUse, ...report.failed], []);
  const [s3, pg, tmp] = report.stores;
  assert.deepEqual(
    { ...s3, reason: undefined },
    {
      store: "s3",
      target: `http://127.0.0.1:${port}`,
      status: "unreachable",
      reason: undefined,
    },
  );
  assert.match(s3!.reason!, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  assert.deepEqual(pg, {
    store: "postgres",
    target: postgresUrl(PG),
    status: "swept",
  });
  assert.deepEqual(tmp, {
    store: "temp dir",
    target: "",
    status: "skipped",
    reason: "not configured",
  });
  assert.doesNotMatch(JSON.stringify(report), /never-shown-secret/);
});

Deno.test("cli sweep with a store down sweeps the other, prints each store's status and exits 1", async () => {
  await using services = await provisionServices({
    env: {},
    services: ["postgres"],
  });
  const PG = postgresConfig(services.env);
  const port = closedPort();
  const schema = `itkit_${(Date.now() - 3_600_000).toString(36)}dead_1`;
  await withAdminOn((sql) => sql`create schema ${sql(schema)}`, undefined, PG);
  const tmp = await Deno.makeTempDir({ prefix: "itkit-sweep-cli-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "cli.ts", "sweep", "--older-than", "0s"],
      cwd: ROOT,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        NO_COLOR: "1",
        TMPDIR: tmp,
        ...services.env,
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
      },
    }).output();
    const out = new TextDecoder().decode(stdout);
    const err = new TextDecoder().decode(stderr);
    assert.equal(out, `removed schema ${PG.database}.${schema}\n`, err);
    assert.match(
      err,
      new RegExp(
        `^itkit: sweep: s3 http://127\\.0\\.0\\.1:${port}: unreachable \\(.*ECONNREFUSED.*\\)$`,
        "m",
      ),
    );
    assert.match(
      err,
      new RegExp(
        `^itkit: sweep: postgres ${
          postgresUrl(PG).replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")
        }: swept$`,
        "m",
      ),
    );
    assert.match(
      err,
      new RegExp(`^itkit: sweep: temp dir ${tmp}: swept$`, "m"),
    );
    assert.match(
      err,
      /^itkit: sweep removed 1, left 0 in use, failed 0, 1 store\(s\) unreachable$/m,
    );
    assert.equal(code, 1, err);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a malformed ITKIT_LEASE_TTL fails the module that declares a bucket, naming the variable", async () => {
  const run = await runDenoTest(["reaper_ahead.ts"], {
    env: { ITKIT_LEASE_TTL: "5s" },
  });
  assert.notEqual(run.code, 0, run.output);
  assert.match(
    run.output,
    /TypeError: Cannot read ITKIT_LEASE_TTL: "5s" is not a lease time \(expected a whole number of milliseconds, at least 1000, e\.g\. 30000\)/,
  );
});

Deno.test("an ITKIT_LEASE_TTL whose sixth no timer holds fails the module that declares a bucket", async () => {
  // Its refresh interval, 2^31 ms, would fire at once: the reaper rewrote
  // the lease in a tight loop.
  const ttl = String(6 * 2 ** 31);
  const run = await runDenoTest(["reaper_ahead.ts"], {
    env: { ITKIT_LEASE_TTL: ttl },
  });
  assert.notEqual(run.code, 0, run.output);
  assert.match(
    run.output,
    new RegExp(
      `TypeError: Cannot read ITKIT_LEASE_TTL: "${ttl}" is too long: the lease is refreshed every sixth of it, more than a timer can hold \\(expected a whole number of milliseconds from 1000 to 12884901882, about 149 days\\)`,
    ),
  );
});

Deno.test("a run whose S3 lease the reaper cannot take says so on stderr, once", async () => {
  const run = await runInlineTest({
    "s3_lease_unheld.ts":
      `// A fixture on a shared bucket that does not exist: the reaper cannot write
// the run's lease there, which the run says on stderr (and the fixture
// cannot use the bucket).
import { integration } from "@itkit/core";
import { s3Bucket } from "@itkit/core/s3";

integration("a shared bucket that does not exist", {
  fixtures: { bucket: s3Bucket.fixture({ bucket: "no-such-shared-bucket" }) },
}, () => {});
`,
  });
  assert.equal(run.failed, 1, run.output);
  const lines = run.output.split("\n").filter((l) =>
    l.startsWith("itkit: lease of run ")
  );
  assert.equal(lines.length, 1, run.output);
  assert.match(
    lines[0]!,
    /^itkit: lease of run \w+ on s3 http:\/\/\S+ \(no-such-shared-bucket\/itkit-\w+-0\/\) is not held: the reaper could not take it \(its log says why\)\. A sweep from another process protects what this run makes there by its age only/,
  );
  assert.match(run.output, /Cannot use shared bucket "no-such-shared-bucket"/);
});
