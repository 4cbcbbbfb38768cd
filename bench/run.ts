// `deno task bench`: what the toolkit costs, measured against bare Deno.test
// (and hand-written equivalents) in the same run, on this machine. Writes
// bench/results.json and prints a table. Run through `cli.ts run`, which
// provides PostgreSQL and S3.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import postgres from "postgres";
import { type PostgresConfig, postgresConfig } from "../postgres.ts";
import { probeTcp } from "../mod.ts";
import { s3Bucket, s3Client, type S3ClientLike, s3Config } from "../s3.ts";
import { type RgwServer, startRgw } from "../services.ts";
import { tmpDir } from "../mod.ts";
import { emptyBucket } from "../src/s3/empty_bucket.ts";
import { reaperLogPath } from "../src/run/reaper.ts";

const ROOT = new URL("../", import.meta.url);
const QUICK = Deno.args.includes("--quick");
/** Sections left out: `--skip reaper,postgres`. */
const SKIP = new Set(
  Deno.args.includes("--skip")
    ? (Deno.args[Deno.args.indexOf("--skip") + 1] ?? "").split(",")
    : [],
);
const ROUNDS = QUICK ? 2 : 7;

interface Row {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}
const rows: Row[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}

/**
 * Writes `code` (with `MOD` replaced by mod.ts's URL) to a temp file and runs
 * Deno on it with this project's config: `deno <subcommand> -A --no-check
 * [extra] <file>`.
 */
async function runScript(
  subcommand: "test" | "run",
  code: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Deno.CommandOutput> {
  const file = await Deno.makeTempFile({
    suffix: subcommand === "test" ? "_test.ts" : ".ts",
  });
  try {
    await Deno.writeTextFile(
      file,
      code.replaceAll("MOD", new URL("mod.ts", ROOT).href),
    );
    return await new Deno.Command(Deno.execPath(), {
      args: [
        subcommand,
        "-A",
        "--no-check",
        ...extra,
        "--config",
        new URL("deno.json", ROOT).pathname,
        file,
      ],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } finally {
    await Deno.remove(file);
  }
}

/** Runs `deno test` on generated code; returns Deno's reported test time in ms. */
async function denoTestTime(code: string): Promise<number> {
  const out = await runScript("test", code);
  const text = new TextDecoder().decode(out.stdout);
  const match = /^ok \| \d+ passed.*\(([\d.]+)(ms|s)\)$/m.exec(text);
  if (!out.success || !match) {
    throw new Error(
      `bench run failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}

/** Alternates two `deno test` runs ROUNDS times; returns medians. */
async function compareRuns(a: string, b: string): Promise<[number, number]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ta.push(await denoTestTime(a));
    tb.push(await denoTestTime(b));
  }
  return [median(ta), median(tb)];
}

// 1. Per-test cost of integration() without fixtures, against bare
// Deno.test and against Deno.test with `permissions: "none"` (what every
// integration test without fixtures runs with: Deno's own cost of switching
// permissions per test). Rounds alternate; the ratio is the median of the
// per-round ratios, which cancels much of this machine's drift.
if (!SKIP.has("overhead")) {
  const n = 2000;
  const toolkitCode =
    `import { integration } from "MOD";\nfor (let i = 0; i < ${n}; i++) integration("t" + i, () => {});`;
  const bareCode =
    `for (let i = 0; i < ${n}; i++) Deno.test("t" + i, () => {});`;
  const noneCode =
    `for (let i = 0; i < ${n}; i++) Deno.test({ name: "t" + i, permissions: "none", fn: () => {} });`;
  const toolkit: number[] = [];
  const bare: number[] = [];
  const none: number[] = [];
  for (let i = 0; i < ROUNDS + 2; i++) {
    bare.push(await denoTestTime(bareCode));
    toolkit.push(await denoTestTime(toolkitCode));
    none.push(await denoTestTime(noneCode));
  }
  const vsBare = median(toolkit.map((t, i) => t / bare[i]!));
  const vsNone = median(toolkit.map((t, i) => t / none[i]!));
  const noneVsBare = median(none.map((t, i) => t / bare[i]!));
  rows.push({
    name: `${n} integration() tests, no fixtures, vs bare Deno.test`,
    value: median(toolkit),
    unit: "ms",
    baseline: median(bare),
    ratio: vsBare,
    target: "<= 1.05x bare Deno.test",
    met: vsBare <= 1.05,
  });
  rows.push({
    name: `${n} Deno.test with permissions "none", vs bare Deno.test`,
    value: median(none),
    unit: "ms",
    baseline: median(bare),
    ratio: noneVsBare,
    note: "Deno's own cost of per-test permissions",
  });
  rows.push({
    name: `${n} integration() tests, vs Deno.test with permissions "none"`,
    value: median(toolkit),
    unit: "ms",
    baseline: median(none),
    ratio: vsNone,
    note: "the toolkit's own wrapper",
  });
}

// 1b. The wrapper's own cost, in-process and without the test runner's noise:
// registration and an empty run of 20,000 tests, through a stand-in
// Deno.test that only collects definitions.
if (!SKIP.has("overhead")) {
  const code = `
    const tests = [];
    Deno.test = (d) => tests.push(d);
    const { integration } = await import("MOD");
    const N = 20000;
    const t = { name: "x", origin: "o", step: () => Promise.resolve(true) };
    let s = performance.now();
    for (let i = 0; i < N; i++) integration("t" + i, () => {});
    const register = (performance.now() - s) / N * 1000;
    s = performance.now();
    for (const d of tests) await d.fn(t);
    const run = (performance.now() - s) / N * 1000;
    console.log(JSON.stringify({ register, run }));
  `;
  const samples: { register: number; run: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // The stand-in Deno.test is untyped JavaScript in a .ts file: no check.
    const out = await runScript("run", "// @ts-nocheck\n" + code);
    samples.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  rows.push({
    name:
      "integration(): the wrapper's own cost per test (register + empty run)",
    value: median(samples.map((s) => s.register + s.run)),
    unit: "us",
    note: `register ${
      median(samples.map((s) => s.register)).toFixed(2)
    } us, run ${median(samples.map((s) => s.run)).toFixed(2)} us`,
  });
}

// 2. A temp dir: the fixture against hand-written makeTempDir + remove.
if (!SKIP.has("tmpdir")) {
  const n = 500;
  const [toolkit, bare] = await compareRuns(
    `import { integration, tmpDir } from "MOD";
for (let i = 0; i < ${n}; i++) {
  integration("t" + i, { fixtures: { dir: tmpDir.fixture() } }, async (_t, { dir }) => {
    await Deno.writeTextFile(dir.join("a.txt"), "x");
  });
}`,
    `for (let i = 0; i < ${n}; i++) {
  Deno.test("t" + i, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(dir + "/a.txt", "x");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}`,
  );
  rows.push({
    name: `${n} tests with a temp dir`,
    value: toolkit / n,
    unit: "ms/test",
    baseline: bare / n,
    ratio: toolkit / bare,
    note: "tmpDir.fixture() vs Deno.makeTempDir + remove in try/finally",
  });
}

// 3. Probes.
if (!SKIP.has("probe")) {
  const refused: number[] = [];
  for (let i = 0; i < 30; i++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const t0 = performance.now();
    await probeTcp("127.0.0.1", port);
    refused.push(performance.now() - t0);
  }
  rows.push({
    name: "probe: refused port",
    value: median(refused),
    unit: "ms",
    target: "<= 2 ms",
    met: median(refused) <= 2,
  });

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  const t0 = performance.now();
  await probeTcp("127.0.0.1", port);
  const open = performance.now() - t0;
  rows.push({ name: "probe: open port (first call)", value: open, unit: "ms" });
  const cached: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await probeTcp("127.0.0.1", port);
    cached.push(performance.now() - t);
  }
  rows.push({
    name: "probe: cached result",
    value: median(cached) * 1000,
    unit: "us",
  });
  // 500 tests sharing one probe: how many connections reach the server?
  await Promise.all(
    Array.from({ length: 500 }, () => probeTcp("127.0.0.1", port)),
  );
  await new Promise((r) => setTimeout(r, 50));
  rows.push({
    name: "probe: network probes for 500 tests sharing one target",
    value: accepted,
    unit: "connections",
    target: "1",
    met: accepted === 1,
  });
  listener.close();
  await loop;
}

/** A plain one-connection postgres.js client, as a test without the toolkit would open. */
function connect(
  config: PostgresConfig,
  database = config.database,
): postgres.Sql {
  return postgres({
    host: config.host,
    port: config.port,
    user: config.user,
    pass: config.password,
    database,
    max: 1,
    onnotice: () => {},
  });
}

// 4. PostgreSQL at suite speed (issue 9): 200 tests per module, a 12-table
// migration (12 tables, 12 indexes, one seeded row), each test inserting two
// rows and reading them back, scram-sha-256 auth, sanitizers on; each
// isolation level against the hand-written practice it replaces, whole
// `deno test` processes timed wall-clock, rounds alternated.
if (!SKIP.has("postgres")) {
  const config = postgresConfig();
  const n = QUICK ? 50 : 200;
  const rounds = QUICK ? 1 : 3;
  const pgMod = new URL("postgres.ts", ROOT).href;
  const migration = Array.from(
    { length: 12 },
    (_, i) =>
      `create table t${i} (id serial primary key, name text not null, n int); create index t${i}_name on t${i} (name);`,
  ).join(" ") + " insert into t0 (name) values ('seed');";
  const body = (sql: string) => `
    const t = "t" + (i % 12);
    await ${sql}.unsafe("insert into " + t + " (name, n) values ('a', 1), ('b', 2)");
    const rows = await ${sql}.unsafe("select name from " + t + " where name in ('a', 'b')");
    if (rows.length !== 2) throw new Error("saw " + rows.length + " rows");`;
  const toolkit = (isolation: string, count = n) => `
import { integration } from "MOD";
import { postgresDatabase, probePostgres } from "${pgMod}";
const pg = await probePostgres();
const MIGRATION = ${JSON.stringify(migration)};
for (let i = 0; i < ${count}; i++) {
  integration("t" + i, {
    requires: [pg],
    fixtures: {
      db: postgresDatabase.fixture({
        isolation: "${isolation}",
        migrate: (sql) => sql.unsafe(MIGRATION),
      }),
    },
  }, async (_t, { db }) => {${body("db.sql")}
  });
}`;
  const handPrelude = `
import postgres from "postgres";
const url = Deno.env.get("DATABASE_URL");
const MIGRATION = ${JSON.stringify(migration)};
const id = "bench_" + crypto.randomUUID().slice(0, 8);`;
  const hand: Record<string, string> = {
    // One connection for the file, migrated once, BEGIN/ROLLBACK per test.
    transaction: `${handPrelude}
const sql = postgres(url, { max: 1, max_lifetime: null, onnotice: () => {} });
await sql.unsafe("create schema " + id + "; set search_path to " + id + "; " + MIGRATION);
for (let i = 0; i < ${n}; i++) {
  Deno.test("t" + i, async () => {
    await sql\`begin\`;${body("sql")}
    await sql\`rollback\`;
  });
}
Deno.test("teardown", async () => {
  await sql.unsafe("drop schema " + id + " cascade");
  await sql.end();
});`,
    // One connection; CREATE SCHEMA, migrate, DROP SCHEMA per test.
    schema: `${handPrelude}
const sql = postgres(url, { max: 1, max_lifetime: null, onnotice: () => {} });
for (let i = 0; i < ${n}; i++) {
  Deno.test("t" + i, async () => {
    const s = id + "_" + i;
    await sql.unsafe("create schema " + s + "; set search_path to " + s + "; " + MIGRATION);${
      body("sql")
    }
    await sql.unsafe("reset search_path; drop schema " + s + " cascade");
  });
}
Deno.test("teardown", () => sql.end());`,
    // One database migrated once; TRUNCATE of the changed table per test
    // (and its migrated row put back).
    truncate: `${handPrelude}
const admin = postgres(url, { max: 1, max_lifetime: null, onnotice: () => {} });
await admin.unsafe("create database " + id);
const dbUrl = new URL(url);
dbUrl.pathname = "/" + id;
const sql = postgres(dbUrl.href, { max: 1, max_lifetime: null, onnotice: () => {} });
await sql.unsafe(MIGRATION);
for (let i = 0; i < ${n}; i++) {
  Deno.test("t" + i, async () => {${body("sql")}
    const changed = "t" + (i % 12);
    await sql.unsafe("truncate " + changed + " restart identity cascade" + (changed === "t0" ? "; insert into t0 (name) values ('seed')" : ""));
  });
}
Deno.test("teardown", async () => {
  await sql.end();
  await admin.unsafe("drop database " + id);
  await admin.end();
});`,
  };
  const wall = async (code: string, env: Record<string, string> = {}) => {
    const t = performance.now();
    const out = await runScript("test", code, [
      "--sanitize-ops",
      "--sanitize-resources",
    ], env);
    const ms = performance.now() - t;
    if (!out.success) {
      throw new Error(
        `bench run failed:\n${new TextDecoder().decode(out.stdout)}\n${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    return ms;
  };
  const targets: Record<string, string> = {
    transaction: "one connection + migrate once + BEGIN/ROLLBACK per test",
    schema: "one connection + CREATE SCHEMA/migrate/DROP per test",
    truncate: "one database migrated once + TRUNCATE of the changed table",
  };
  for (const isolation of ["transaction", "schema", "truncate"]) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      theirs.push(await wall(hand[isolation]!));
      ours.push(await wall(toolkit(isolation)));
    }
    const ratio = median(ours.map((t, i) => t / theirs[i]!));
    rows.push({
      name: `postgres ${isolation}: ${n} tests, 12-table migration, vs ${
        targets[isolation]
      }`,
      value: median(ours),
      unit: "ms",
      baseline: median(theirs),
      ratio,
      target: "<= 1.2x",
      met: ratio <= 1.2,
    });
  }
  // Database isolation: a module of 50 tests. The handout is the fixture's
  // setup (a ready clone taken from the helper; postgres.js connects on the
  // first query), read from the run summary; the total is compared with 50
  // times a raw CREATE DATABASE … TEMPLATE of the same template.
  {
    const count = 50;
    const admin = connect(config);
    const template = `bench_tpl_${Date.now().toString(36)}`;
    await admin.unsafe(`create database ${template}`);
    const tpl = connect(config, template);
    await tpl.unsafe(migration);
    await tpl.end();
    const raw: Record<string, number[]> = { WAL_LOG: [], FILE_COPY: [] };
    for (let i = 0; i < (QUICK ? 5 : 15); i++) {
      for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
        const name = `${template}_c${i}_${strategy.toLowerCase()}`;
        const t = performance.now();
        await admin.unsafe(
          `create database ${name} template ${template} strategy ${strategy}`,
        );
        raw[strategy]!.push(performance.now() - t);
        await admin.unsafe(`drop database ${name}`);
      }
    }
    await admin.unsafe(`drop database ${template}`);
    await admin.end();
    for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
      rows.push({
        name:
          `postgres: raw CREATE DATABASE ... TEMPLATE (12-table template), STRATEGY ${strategy}`,
        value: median(raw[strategy]!),
        unit: "ms",
        note: `p95 ${p95(raw[strategy]!).toFixed(1)} ms`,
      });
    }
    const rawCreate = median(raw.WAL_LOG!);
    // What a user writes by hand for a database per test: the template
    // migrated once at load, then per test CREATE DATABASE … TEMPLATE, a
    // connection to it, the body, DROP DATABASE.
    const handDatabase = `${handPrelude}
const admin = postgres(url, { max: 1, max_lifetime: null, onnotice: () => {} });
const at = (db) => { const u = new URL(url); u.pathname = "/" + db; return u.href; };
await admin.unsafe("create database " + id);
const tpl = postgres(at(id), { max: 1, max_lifetime: null, onnotice: () => {} });
await tpl.unsafe(MIGRATION);
await tpl.end();
for (let i = 0; i < ${count}; i++) {
  Deno.test("t" + i, async () => {
    const db = id + "_" + i;
    await admin.unsafe("create database " + db + " template " + id);
    const sql = postgres(at(db), { max: 1, max_lifetime: null, onnotice: () => {} });${
      body("sql")
    }
    await sql.end();
    await admin.unsafe("drop database " + db);
  });
}
Deno.test("teardown", async () => {
  await admin.unsafe("drop database " + id);
  await admin.end();
});`;
    const summary = await Deno.makeTempFile({ suffix: ".jsonl" });
    const totals: number[] = [];
    const handTotals: number[] = [];
    const setups: number[] = [];
    const handoutAndRelease: number[] = [];
    for (let r = 0; r < rounds; r++) {
      handTotals.push(await wall(handDatabase));
      await Deno.writeTextFile(summary, "");
      totals.push(
        await wall(toolkit("database", count), {
          ITKIT_SUMMARY_FILE: summary,
        }),
      );
      for (const line of (await Deno.readTextFile(summary)).split("\n")) {
        if (!line.trim()) continue;
        const record = JSON.parse(line);
        const timing = record.timings?.postgresDatabase;
        setups.push(...(timing?.setups ?? []));
        // Issue 10's measure: the handout and the release, test by test.
        (timing?.setups ?? []).forEach((ms: number, i: number) =>
          handoutAndRelease.push(ms + (timing.cleanups?.[i] ?? NaN))
        );
      }
    }
    await Deno.remove(summary);
    rows.push({
      name:
        `postgres database: handout (fixture setup) in a module of ${count} tests`,
      value: p95(setups),
      unit: "ms p95",
      note: `median ${median(setups).toFixed(2)} ms, ${setups.length} setups`,
      target: "p95 <= 2 ms",
      met: p95(setups) <= 2,
    });
    rows.push({
      name:
        `postgres database: handout + release (fixture setup + cleanup) in a module of ${count} tests`,
      value: p95(handoutAndRelease),
      unit: "ms p95",
      note: `median ${median(handoutAndRelease).toFixed(2)} ms`,
      target: "p95 <= 2 ms",
      met: p95(handoutAndRelease) <= 2,
    });
    const ratio = median(totals) / (count * rawCreate);
    rows.push({
      name:
        `postgres database: ${count} tests in total vs ${count} x raw CREATE DATABASE ... TEMPLATE`,
      value: median(totals),
      unit: "ms",
      baseline: count * rawCreate,
      ratio,
      target: "<= 1.2x",
      met: ratio <= 1.2,
    });
    const handRatio = median(totals.map((t, i) => t / handTotals[i]!));
    rows.push({
      name:
        `postgres database: ${count} tests vs hand-written CREATE DATABASE ... TEMPLATE, connect, DROP DATABASE per test`,
      value: median(totals),
      unit: "ms",
      baseline: median(handTotals),
      ratio: handRatio,
    });
  }
}

// 5. S3 bucket create + dispose.
if (!SKIP.has("s3")) {
  const config = s3Config();
  const empty: number[] = [];
  for (let i = 0; i < (QUICK ? 5 : 20); i++) {
    const t = performance.now();
    await (await s3Bucket({ config })).close();
    empty.push(performance.now() - t);
  }
  rows.push({
    name: "s3: bucket create + dispose, empty",
    value: median(empty),
    unit: "ms",
    target: "<= 5 ms",
    met: median(empty) <= 5,
  });
  const full: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const bucket = await s3Bucket({ config });
    await fill(bucket);
    const t = performance.now();
    await bucket.close();
    full.push(performance.now() - t);
  }
  rows.push({
    name: "s3: dispose of a bucket with 1,000 objects",
    value: median(full),
    unit: "ms",
    target: "<= 150 ms",
    met: median(full) <= 150,
  });
}

// 5b. On Ceph RGW (a real S3 engine; skipped without its binaries): its
// start time (what decides that s3rver stays the default), and the bucket
// fixture against the fewest raw SDK calls doing the same work, alternating.
if (!SKIP.has("rgw")) {
  const sdk = await import("@aws-sdk/client-s3");
  const starts: number[] = [];
  let rgw: RgwServer | undefined;
  try {
    for (let i = 0; i < (QUICK ? 1 : 3); i++) {
      await rgw?.close();
      const t = performance.now();
      rgw = await startRgw();
      starts.push(performance.now() - t);
    }
  } catch (error) {
    rows.push({
      name: "rgw: skipped",
      value: 0,
      unit: "",
      note: (error as Error).message.split("\n")[0]!,
    });
  }
  if (rgw) {
    rows.push({
      name: "rgw: start to first signed request",
      value: median(starts),
      unit: "ms",
      target: "<= 1000 ms to be the default",
      met: median(starts) <= 1000,
    });
    const config = rgw.config;
    const raw = await s3Client(config) as InstanceType<typeof sdk.S3Client>;
    // The hand-written practice: create; to dispose, delete the bucket (when
    // it is known to be empty), else list once, delete the listed keys in
    // one request, delete the bucket.
    let n = 0;
    const rawDispose = async (Bucket: string, objects: number) => {
      if (objects) {
        const { Contents = [] } = await raw.send(
          new sdk.ListObjectsCommand({ Bucket }),
        );
        await raw.send(
          new sdk.DeleteObjectsCommand({
            Bucket,
            Delete: { Objects: Contents.map((o) => ({ Key: o.Key! })) },
          }),
        );
      }
      await raw.send(new sdk.DeleteBucketCommand({ Bucket }));
    };
    for (const objects of [0, 1000]) {
      const fixture: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < (QUICK ? 2 : objects ? 5 : 15); i++) {
        {
          const t0 = performance.now();
          const bucket = await s3Bucket({ config });
          const created = performance.now() - t0;
          if (objects) await fill(bucket);
          const t1 = performance.now();
          await bucket.close();
          fixture.push(created + performance.now() - t1);
        }
        {
          const Bucket = `bench-raw-${Date.now()}-${n++}`;
          const t0 = performance.now();
          await raw.send(new sdk.CreateBucketCommand({ Bucket }));
          const created = performance.now() - t0;
          if (objects) await fill({ client: raw, name: Bucket });
          const t1 = performance.now();
          await rawDispose(Bucket, objects);
          bare.push(created + performance.now() - t1);
        }
      }
      const ratio = median(fixture) / median(bare);
      rows.push({
        name: `rgw: bucket create + dispose, ${
          objects ? "1,000 objects" : "empty"
        }, vs raw SDK calls`,
        value: median(fixture),
        unit: "ms",
        baseline: median(bare),
        ratio,
        target: "<= 1.1x",
        met: ratio <= 1.1,
      });
    }
    raw.destroy();
    await rgw.close();
  }
}

// 6. Import cost of mod.ts, and that the heavy packages stay unloaded.
if (!SKIP.has("import")) {
  const timeImport = async (code: string, extra: string[] = []) => {
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < ROUNDS; i++) {
      const out = await runScript("run", code, extra);
      ok &&= out.success;
      times.push(Number(new TextDecoder().decode(out.stdout).trim()));
    }
    return { ms: median(times), ok };
  };
  const { ms } = await timeImport(
    `const t = performance.now(); await import("MOD"); console.log(performance.now() - t);`,
  );
  rows.push({ name: "import mod.ts", value: ms, unit: "ms" });
  const lazy = await timeImport(
    `const t = performance.now(); const m = await import("MOD"); await using d = await m.tmpDir(); console.log(performance.now() - t);`,
    ["--no-npm"],
  );
  rows.push({
    name: "mod.ts with npm disabled (AWS SDK, postgres.js unloaded)",
    value: lazy.ok ? 1 : 0,
    unit: "passes",
    target: "1",
    met: lazy.ok,
  });
}

// 7. The fetch mock on msw: its first install (loads msw), install + dispose,
// and a mocked request, against a hand-written `globalThis.fetch` stub.
if (!SKIP.has("fetch")) {
  const code = `
    import https from "node:https";
    import { fetchMock } from "MOD";
    const url = "https://api.example.com/data";
    const N = 1000;
    let s = performance.now();
    { await using _api = await fetchMock(); }
    const load = performance.now() - s;
    s = performance.now();
    for (let i = 0; i < 100; i++) { await using _api = await fetchMock(); }
    const install = (performance.now() - s) / 100;
    const perRequest = async (get) => {
      for (let i = 0; i < 50; i++) await get();
      const s = performance.now();
      for (let i = 0; i < N; i++) await get();
      return (performance.now() - s) / N * 1000;
    };
    const viaFetch = async () => await (await fetch(url)).text();
    const viaHttps = () => new Promise((resolve, reject) => {
      https.get(url, (r) => { r.resume(); r.on("end", resolve); }).on("error", reject);
    });
    let mocked, mockedHttps;
    {
      await using api = await fetchMock();
      api.add("GET", url, { json: { ok: 1 } });
      mocked = await perRequest(viaFetch);
      mockedHttps = await perRequest(viaHttps);
    }
    const original = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const request = new Request(input, init);
      if (request.method === "GET" && request.url === url) {
        return Promise.resolve(Response.json({ ok: 1 }));
      }
      return Promise.reject(new TypeError("no route"));
    };
    const stub = await perRequest(viaFetch);
    globalThis.fetch = original;
    console.log(JSON.stringify({ load, install, mocked, mockedHttps, stub }));
  `;
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const out = await runScript("run", "// @ts-nocheck\n" + code);
    if (!out.success) {
      throw new Error(new TextDecoder().decode(out.stderr));
    }
    samples.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  const m = (key: string) => median(samples.map((x) => x[key]!));
  rows.push({
    name: "fetchMock: first install in a process (loads msw)",
    value: m("load"),
    unit: "ms",
  });
  rows.push({
    name: "fetchMock: install + dispose",
    value: m("install"),
    unit: "ms",
  });
  rows.push({
    name: "fetchMock: a mocked fetch request vs a hand-written fetch stub",
    value: m("mocked"),
    unit: "us",
    baseline: m("stub"),
    ratio: median(samples.map((x) => x.mocked! / x.stub!)),
  });
  rows.push({
    name: "fetchMock: a mocked node:https request",
    value: m("mockedHttps"),
    unit: "us",
  });
}

// 8. The reaper: what declared fixtures cost on the test's path (the
// reaper creates them ahead, from their declarations at module load, and
// removes them when handed off), and the reaper's own work beside the raw
// calls it makes, each measured with nothing else running. Fixtures are
// declared and started as a module's tests would, in this process.
if (!SKIP.has("reaper")) {
  const config = s3Config();
  const context = {
    name: "bench",
    signal: new AbortController().signal,
    deps: {},
  };
  const log = reaperLogPath();
  const mine = async (word: string) => {
    const text = await Deno.readTextFile(log).catch(() => "");
    const pid = new RegExp(` reaper (\\d+) started \\(parent ${Deno.pid}\\)`)
      .exec(text)?.[1];
    return pid === undefined
      ? []
      : text.split("\n").filter((l) => l.includes(` reaper ${pid} ${word} `));
  };
  /** Waits until the reaper logged `count` lines with `word`. */
  const settled = async (word: string, count: number) => {
    for (let i = 0; i < 1200 && (await mine(word)).length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  let created = 0;
  let removed = 0;
  const n = QUICK ? 10 : 50;

  // Empty buckets: a module of n tests, each declaring its bucket.
  const buckets = Array.from({ length: n }, () => s3Bucket.fixture({ config }));
  created += n;
  await settled("created", created); // module load ends; the tests start
  const empty: number[] = [];
  for (const declaration of buckets) {
    const t = performance.now();
    await (await declaration.start(context)).close();
    empty.push(performance.now() - t);
  }
  removed += n;
  await settled("removed", removed);
  rows.push({
    name: "reaper: declared bucket create + dispose, empty (test's path)",
    value: median(empty),
    unit: "ms",
    target: "<= 2 ms",
    met: median(empty) <= 2,
    note: `p95 ${p95(empty).toFixed(1)} ms, ${n} tests`,
  });

  // Buckets holding 1,000 objects: the dispose hands the removal off.
  const fullCreate: number[] = [];
  const fullDispose: number[] = [];
  const full = Array.from(
    { length: QUICK ? 1 : 3 },
    () => s3Bucket.fixture({ config }),
  );
  created += full.length;
  await settled("created", created);
  for (const declaration of full) {
    let t = performance.now();
    const bucket = await declaration.start(context);
    fullCreate.push(performance.now() - t);
    await fill(bucket);
    t = performance.now();
    await bucket.close();
    fullDispose.push(performance.now() - t);
    removed++;
    await settled("removed", removed);
  }
  rows.push({
    name: "reaper: declared bucket dispose with 1,000 objects (test's path)",
    value: median(fullDispose),
    unit: "ms",
    target: "<= 2 ms",
    met: median(fullDispose) <= 2,
    note: `create ${median(fullCreate).toFixed(1)} ms`,
  });

  // Temp dirs: a module of 200 tests declaring one each, against
  // makeTempDir + remove in try/finally; rounds alternate, and each side
  // starts when the reaper is idle.
  const fixture: number[] = [];
  const hand: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dirs = Array.from({ length: 200 }, () => tmpDir.fixture());
    created += 200;
    await settled("created", created);
    let t = performance.now();
    for (const declaration of dirs) {
      const dir = await declaration.start(context);
      await Deno.writeTextFile(dir.join("a.txt"), "x");
      await dir.close();
    }
    fixture.push((performance.now() - t) / 200);
    removed += 200;
    await settled("removed", removed);
    t = performance.now();
    for (let i = 0; i < 200; i++) {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(dir + "/a.txt", "x");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    hand.push((performance.now() - t) / 200);
  }
  const dirRatio = median(fixture.map((f, i) => f / hand[i]!));
  rows.push({
    name: "reaper: declared tmpDir start + dispose vs makeTempDir + remove",
    value: median(fixture),
    unit: "ms/test",
    baseline: median(hand),
    ratio: dirRatio,
    target: "<= 1.2x",
    met: dirRatio <= 1.2,
    note: "in-process, made ahead and removed by the reaper",
  });

  // The reaper's own work (from its log: the time of each creation and
  // removal inside it) against the raw calls it makes, done by hand here;
  // both with nothing else running: the fixtures are all started, then all
  // disposed, and the bench waits while the reaper works.
  // Per item, as throughput: the reaper runs up to four at once, so one
  // item's latency is not its cost; the span from the first start to the
  // last end, over the count, is (the raw calls run one after another).
  const timesOf = (word: string, kind: string, from: number) =>
    mine(word).then((lines) => {
      const items = lines.filter((l) => l.includes(` ${word} ${kind} `))
        .slice(from).map((l) => ({
          end: Date.parse(l.slice(0, 24)),
          took: Number(/, ([\d.]+) ms\)$/.exec(l)?.[1]),
        }));
      return Object.assign(items.map((i) => i.took), {
        perItem: items.length === 0 ? NaN : (Math.max(
          ...items.map((i) => i.end),
        ) - Math.min(...items.map((i) => i.end - i.took))) / items.length,
      });
    });
  const before = {
    made: (await timesOf("created", "bucket", 0)).length,
    bucket: (await timesOf("removed", "bucket", 0)).length,
    dir: (await timesOf("removed", "dir", 0)).length,
  };
  const ownBuckets = Array.from(
    { length: n },
    () => s3Bucket.fixture({ config }),
  );
  const ownDirs = Array.from({ length: 200 }, () => tmpDir.fixture());
  created += n + 200;
  await settled("created", created);
  const handles: { close(): Promise<void> }[] = [];
  for (const d of [...ownBuckets, ...ownDirs]) {
    handles.push(await d.start(context));
  }
  for (const h of handles) await h.close();
  removed += n + 200;
  await settled("removed", removed);
  const reaperMake = await timesOf("created", "bucket", before.made);
  const reaperDrop = await timesOf("removed", "bucket", before.bucket);
  const reaperDirs = await timesOf("removed", "dir", before.dir);
  const client = await s3Client(config);
  const rawMake: number[] = [];
  const rawDrop: number[] = [];
  for (let i = 0; i < n; i++) {
    const Bucket = `bench-raw-${crypto.randomUUID().slice(0, 8)}`;
    let t = performance.now();
    await client.send(new CreateBucketCommand({ Bucket }));
    rawMake.push(performance.now() - t);
    t = performance.now();
    await emptyBucket(client, Bucket, "", config.endpoint.href);
    await client.send(new DeleteBucketCommand({ Bucket }));
    rawDrop.push(performance.now() - t);
  }
  client.destroy();
  const rawDirs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(dir + "/a.txt", "x");
    const t = performance.now();
    await Deno.remove(dir, { recursive: true });
    rawDirs.push(performance.now() - t);
  }
  const own = [
    ["creation of an empty bucket", reaperMake, rawMake, "CreateBucket"],
    ["removal of an empty bucket", reaperDrop, rawDrop, "list + DeleteBucket"],
    ["removal of a temp dir", reaperDirs, rawDirs, "Deno.remove"],
  ] as const;
  const mean = (xs: readonly number[]) =>
    xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [what, theirs, raw, calls] of own) {
    const ratio = theirs.perItem / mean(raw);
    rows.push({
      name: `reaper: its own ${what} vs the raw calls (${calls}), per item`,
      value: theirs.perItem,
      unit: "ms",
      baseline: mean(raw),
      ratio,
      target: "<= 1.1x",
      met: ratio <= 1.1,
      note: `${theirs.length} logged, latency median ${
        median([...theirs]).toFixed(2)
      } ms`,
    });
  }
}

async function fill(
  bucket: { client: S3ClientLike; name: string },
): Promise<void> {
  for (let k = 0; k < 1000; k += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        bucket.client.send(
          new PutObjectCommand({
            Bucket: bucket.name,
            Key: `o/${k + j}`,
            Body: "x",
          }),
        )),
    );
  }
}

const machine = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  os: `${Deno.build.os} ${Deno.build.arch}`,
  cpus: navigator.hardwareConcurrency,
  memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  quick: QUICK,
};
// The sections other benches write (`suite`, `databaseIsolation`) stay.
const previous = await Deno.readTextFile(new URL("bench/results.json", ROOT))
  .then(JSON.parse, () => ({}));
await Deno.writeTextFile(
  new URL("bench/results.json", ROOT),
  JSON.stringify({ ...previous, machine, rows }, null, 2) + "\n",
);
const fmt = (x: number | undefined) =>
  x === undefined ? "" : x.toFixed(x < 10 ? 3 : 1);
console.log(`| measurement | value | unit | bare | ratio | target | met |`);
console.log(`| --- | ---: | --- | ---: | ---: | --- | --- |`);
for (const r of rows) {
  console.log(
    `| ${r.name}${r.note ? ` (${r.note})` : ""} | ${
      fmt(r.value)
    } | ${r.unit} | ${fmt(r.baseline)} | ${
      r.ratio === undefined ? "" : r.ratio.toFixed(3) + "x"
    } | ${r.target ?? ""} | ${
      r.met === undefined ? "" : r.met ? "yes" : "no"
    } |`,
  );
}
console.log(`\nmachine: ${JSON.stringify(machine)}`);
