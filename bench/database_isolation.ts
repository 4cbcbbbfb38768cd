// `deno task bench:database`: what "database" isolation costs on a large
// schema (issue 28, point 4). On the suite app's template (bench/suite/: 40
// migrations, 80 tables in fixed schemas, ~11 MB with its reference data):
//
// 1. CREATE DATABASE … TEMPLATE, STRATEGY WAL_LOG and FILE_COPY, clones made
//    back to back and with a CHECKPOINT before each; the DROP DATABASE of
//    each clone;
// 2. concurrent clones: 1, 2 and 4 at once (throughput and latency);
// 3. what a running test sees beside DROP DATABASE and beside CREATE
//    DATABASE: the latency of the app's test cases (body + DELETE reset) on
//    a migrated database while another connection drops or clones; and the
//    resets themselves, test by test: the toolkit's "truncate" reset against
//    the hand-written DELETE and TRUNCATE, and what its change tracking adds
//    to a test's body; and what a test's body pays for a new pool and for a
//    fresh database (cold catalog caches);
// 4. the toolkit's own pipeline: a file of 20 tests and a module of 100
//    tests, isolation "database" against "truncate", from the run summary's
//    fixture timings (per test: its setup, i.e. the wait for its database,
//    and its cleanup, i.e. the release or the reset).
//
// Writes the `databaseIsolation` section of bench/results.json and prints the
// table. Run it through `cli.ts run`, which provides PostgreSQL:
//
//   deno run -A cli.ts run -- deno run -A bench/database_isolation.ts
//     [--quick] [--skip raw,concurrent,beside,reset,fresh,pipeline]
//     [--no-write]

import postgres from "postgres";
import { createApp, migrate, type Sql } from "./suite/app/mod.ts";
import { databaseUrl } from "./suite/global_setup.ts";
import { resetStatement } from "./suite/_reset.ts";
import {
  fileSystemOf,
  loadAverage,
  mean,
  median,
  p95,
  sum,
} from "./_measure.ts";
import { printTable, type Row, updateResults } from "./_results.ts";
import { cases as customerCases } from "./suite/cases/customers.ts";
import { cases as invoiceCases } from "./suite/cases/invoices.ts";
import { installReset } from "../src/postgres/_truncate.ts";

const ROOT = new URL("../", import.meta.url);
const QUICK = Deno.args.includes("--quick");
const WRITE = !Deno.args.includes("--no-write");
const SECTIONS = [
  "raw",
  "concurrent",
  "beside",
  "reset",
  "fresh",
  "pipeline",
];
const SKIP = new Set(
  Deno.args.includes("--skip")
    ? (Deno.args[Deno.args.indexOf("--skip") + 1] ?? "").split(",")
    : [],
);

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  throw new Error(
    "Cannot run the database isolation bench: DATABASE_URL is not set (run it through `deno run -A cli.ts run -- …`)",
  );
}

const rows: Row[] = [];

const loads: number[] = [];
function noteLoad(): void {
  loads.push(loadAverage());
}

const id = crypto.randomUUID().slice(0, 8);
const admin = postgres(url, { max: 4, onnotice: () => {} });
const made = new Set<string>();
let next = 0;
const cloneName = () => `bench_clone_${id}_${next++}`;

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function createClone(
  name: string,
  strategy: "WAL_LOG" | "FILE_COPY",
): Promise<number> {
  made.add(name);
  return await timed(() =>
    admin.unsafe(
      `create database ${name} template ${template} strategy ${strategy}`,
    )
  );
}
async function dropClone(name: string): Promise<number> {
  const ms = await timed(() => admin.unsafe(`drop database ${name}`));
  made.delete(name);
  return ms;
}

// The template: the suite app's migrations.
const template = `bench_clone_${id}_tpl`;
await admin.unsafe(`create database ${template}`);
made.add(template);
{
  const sql = postgres(databaseUrl(url, template), {
    max: 1,
    onnotice: () => {},
  });
  const { ms } = await migrate(sql);
  const [size] = await sql<{ bytes: string; relations: string }[]>`
    select pg_database_size(current_database()) as bytes,
      (select count(*) from pg_class where relfilenode <> 0
        and relpersistence = 'p' and relkind in ('r', 'i', 't', 'S', 'm')) as relations`;
  await sql.end();
  rows.push({
    name: "template: the suite app's 40 migrations (80 tables)",
    value: Number(size!.bytes) / 2 ** 20,
    unit: "MiB",
    note: `${
      size!.relations
    } relations with storage (template1 included), migrated in ${
      ms.toFixed(0)
    } ms`,
  });
}

try {
  // 1. Clones one after another, each strategy, back to back and with a
  // CHECKPOINT before each; then every clone's DROP DATABASE.
  if (!SKIP.has("raw")) {
    const n = QUICK ? 3 : 8;
    const rounds = QUICK ? 1 : 3;
    const results: Record<string, number[]> = {};
    const drops: Record<string, number[]> = {};
    const checkpoints: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const checkpoint of [false, true]) {
        for (const strategy of ["WAL_LOG", "FILE_COPY"] as const) {
          noteLoad();
          const key = `${strategy}${checkpoint ? ", CHECKPOINT before" : ""}`;
          const names: string[] = [];
          for (let i = 0; i < n; i++) {
            if (checkpoint) {
              checkpoints.push(await timed(() => admin`checkpoint`));
            }
            const name = cloneName();
            names.push(name);
            (results[key] ??= []).push(await createClone(name, strategy));
          }
          for (const name of names) {
            (drops[strategy] ??= []).push(await dropClone(name));
          }
        }
      }
    }
    for (const [key, xs] of Object.entries(results)) {
      rows.push({
        name: `CREATE DATABASE … TEMPLATE, ${key}`,
        value: median(xs),
        unit: "ms",
        note: `p95 ${p95(xs).toFixed(0)} ms, ${xs.length} clones`,
      });
    }
    rows.push({
      name: "CHECKPOINT before a clone",
      value: median(checkpoints),
      unit: "ms",
      note: `p95 ${p95(checkpoints).toFixed(0)} ms`,
    });
    for (const [strategy, xs] of Object.entries(drops)) {
      rows.push({
        name: `DROP DATABASE of a clone made with ${strategy}`,
        value: median(xs),
        unit: "ms",
        note: `p95 ${p95(xs).toFixed(0)} ms, ${xs.length} drops`,
      });
    }
  }

  // 2. Concurrent clones: a batch of 8 made c at a time.
  if (!SKIP.has("concurrent")) {
    const batch = QUICK ? 4 : 8;
    for (const strategy of ["WAL_LOG", "FILE_COPY"] as const) {
      for (const at of [1, 2, 4]) {
        noteLoad();
        const latencies: number[] = [];
        const names: string[] = [];
        const started = performance.now();
        let given = 0;
        await Promise.all(
          Array.from({ length: at }, async () => {
            while (given < batch) {
              given++;
              const name = cloneName();
              names.push(name);
              latencies.push(await createClone(name, strategy));
            }
          }),
        );
        const wall = performance.now() - started;
        for (const name of names) await dropClone(name);
        rows.push({
          name: `${batch} clones, ${at} at once, ${strategy}: time per clone`,
          value: wall / batch,
          unit: "ms",
          note: `latency median ${median(latencies).toFixed(0)} ms, p95 ${
            p95(latencies).toFixed(0)
          } ms`,
        });
      }
    }
  }

  // 3. A test beside DROP DATABASE / CREATE DATABASE: the app's cases (body
  // + DELETE reset) on a migrated clone, while another connection drops
  // clones one after another, or makes them.
  if (!SKIP.has("beside")) {
    const work = cloneName();
    await createClone(work, "WAL_LOG");
    const app = createApp(databaseUrl(url, work));
    const reset = await resetStatement(app.sql, "delete");
    const cases = [...customerCases, ...invoiceCases];
    const testRound = async (): Promise<number[]> => {
      const times: number[] = [];
      for (const c of cases) {
        const t = performance.now();
        await c.run(app);
        await app.sql.unsafe(reset);
        times.push(performance.now() - t);
      }
      return times;
    };
    await testRound(); // warm: connections, plans
    const phases: Record<string, number[]> = {};
    const rounds = QUICK ? 1 : 3;
    for (let round = 0; round < rounds; round++) {
      for (
        const phase of [
          "alone",
          "beside DROP DATABASE",
          "beside CREATE DATABASE",
        ]
      ) {
        noteLoad();
        let stop = false;
        let background = Promise.resolve();
        if (phase !== "alone") {
          // Clones to drop, made before the tests start.
          const pending: string[] = [];
          if (phase === "beside DROP DATABASE") {
            for (let i = 0; i < (QUICK ? 4 : 12); i++) {
              const name = cloneName();
              await createClone(name, "WAL_LOG");
              pending.push(name);
            }
          }
          background = (async () => {
            while (!stop) {
              if (phase === "beside DROP DATABASE") {
                const name = pending.shift();
                if (name === undefined) break;
                await dropClone(name);
              } else {
                const name = cloneName();
                await createClone(name, "WAL_LOG");
                pending.push(name);
              }
            }
          })();
          const times = await testRound();
          stop = true;
          await background;
          for (const name of pending) await dropClone(name);
          (phases[phase] ??= []).push(...times);
        } else {
          (phases[phase] ??= []).push(...await testRound());
        }
      }
    }
    await app.close();
    await dropClone(work);
    const alone = median(phases.alone!);
    for (const [phase, xs] of Object.entries(phases)) {
      rows.push({
        name: `a test (app case + DELETE reset) ${phase}`,
        value: median(xs),
        unit: "ms",
        ...(phase === "alone"
          ? {}
          : { baseline: alone, ratio: median(xs) / alone }),
        note: `p95 ${p95(xs).toFixed(1)} ms, mean ${
          mean(xs).toFixed(1)
        } ms, ${xs.length} tests`,
      });
    }
  }

  // 3b. The resets, test by test: the same cases on three clones, one with
  // the toolkit's change tracking and reset function installed (what
  // "truncate" isolation installs in its database) and reset by it, one
  // reset by the hand-written DELETE, one by the hand-written TRUNCATE; the
  // three run each case in turn, in an order that rotates from case to case.
  // The body times show what the tracking triggers add to a test, and what a
  // TRUNCATE before it costs it (new, empty relation files).
  if (!SKIP.has("reset")) {
    const names = [cloneName(), cloneName(), cloneName()];
    for (const name of names) await createClone(name, "WAL_LOG");
    const apps = names.map((name) => createApp(databaseUrl(url, name)));
    const installed = await timed(() =>
      apps[0]!.sql.unsafe(installReset("itkit_reset"))
    );
    const statements = {
      delete: await resetStatement(apps[1]!.sql, "delete"),
      truncate: await resetStatement(apps[2]!.sql, "truncate"),
    };
    const written = statements.truncate.split(",").length;
    const kinds = [
      {
        body: "body, with the change-tracking triggers",
        reset: 'itkit "truncate" reset',
        run: (sql: Sql) => sql`select itkit_reset.reset() as reset`,
      },
      {
        body: "body, after a hand-written DELETE",
        reset:
          `hand-written DELETE of the ${written} tables without migrated rows`,
        run: (sql: Sql) => sql.unsafe(statements.delete),
      },
      {
        body: "body, after a hand-written TRUNCATE",
        reset:
          `hand-written TRUNCATE of the ${written} tables without migrated rows`,
        run: (sql: Sql) => sql.unsafe(statements.truncate),
      },
    ];
    const cases = [...customerCases, ...invoiceCases];
    const times: Record<string, number[]> = {};
    const tables: number[] = [];
    const push = (key: string, ms: number) => (times[key] ??= []).push(ms);
    const rounds = QUICK ? 1 : 3;
    for (let round = 0; round < rounds; round++) {
      noteLoad();
      for (const [i, c] of cases.entries()) {
        for (let k = 0; k < kinds.length; k++) {
          const at = (i + round + k) % kinds.length;
          const kind = kinds[at]!;
          const app = apps[at]!;
          let t = performance.now();
          await c.run(app);
          push(kind.body, performance.now() - t);
          t = performance.now();
          const result = await kind.run(app.sql);
          push(kind.reset, performance.now() - t);
          if (at === 0) tables.push(Number(result[0]?.reset));
        }
      }
    }
    for (const app of apps) await app.close();
    for (const name of names) await dropClone(name);
    rows.push({
      name: "installing the change tracking and reset (INSTALL_RESET)",
      value: installed,
      unit: "ms",
    });
    const body = median(times[kinds[1]!.body]!);
    for (const [key, xs] of Object.entries(times)) {
      rows.push({
        name: `per test (${cases.length} cases of the suite): ${key}`,
        value: median(xs),
        unit: "ms",
        ...(key.startsWith("body") && key !== kinds[1]!.body
          ? { baseline: body, ratio: median(xs) / body }
          : {}),
        note: `p95 ${p95(xs).toFixed(1)} ms, mean ${mean(xs).toFixed(1)} ms${
          key === kinds[0]!.reset
            ? `; tables emptied per reset: median ${median(tables)}, ${
              Math.min(...tables)
            }–${Math.max(...tables)}`
            : ""
        }`,
      });
    }
  }

  // 3c. What a test pays for a database of its own besides the clone: the
  // same cases, each (a) on one database through one pool kept from test to
  // test, (b) through a new pool of the app per test on that database (a new
  // connection: authentication, postgres.js fetching the array types), (c)
  // through a new pool per test on a fresh clone (made ahead, nothing else
  // running): a new backend on a database no backend has used builds its
  // catalog caches from scratch. Alternated case by case.
  if (!SKIP.has("fresh")) {
    const cases = [...customerCases, ...invoiceCases];
    const rounds = QUICK ? 1 : 2;
    const warm = cloneName();
    await createClone(warm, "WAL_LOG");
    const kept = createApp(databaseUrl(url, warm));
    const reset = await resetStatement(kept.sql, "delete");
    const fresh: string[] = [];
    for (let i = 0; i < cases.length * rounds; i++) {
      const name = cloneName();
      await createClone(name, "WAL_LOG");
      fresh.push(name);
    }
    const times: Record<string, number[]> = {};
    const push = (key: string, ms: number) => (times[key] ??= []).push(ms);
    for (let round = 0; round < rounds; round++) {
      noteLoad();
      for (const c of cases) {
        let t = performance.now();
        await c.run(kept);
        push("one pool kept from test to test", performance.now() - t);
        await kept.sql.unsafe(reset);
        t = performance.now();
        {
          await using app = createApp(databaseUrl(url, warm));
          await c.run(app);
        }
        push("a new pool per test, same database", performance.now() - t);
        await kept.sql.unsafe(reset);
        const name = fresh.shift()!;
        t = performance.now();
        {
          await using app = createApp(databaseUrl(url, name));
          await c.run(app);
        }
        push("a new pool per test on a fresh clone", performance.now() - t);
        await dropClone(name);
      }
    }
    await kept.close();
    await dropClone(warm);
    const base = median(times["one pool kept from test to test"]!);
    for (const [key, xs] of Object.entries(times)) {
      rows.push({
        name: `a test's body (${cases.length} cases), ${key}`,
        value: median(xs),
        unit: "ms",
        ...(key.startsWith("one pool")
          ? {}
          : { baseline: base, ratio: median(xs) / base }),
        note: `p95 ${p95(xs).toFixed(1)} ms, mean ${mean(xs).toFixed(1)} ms`,
      });
    }
  }

  // 4. The toolkit's pipeline: "database" against "truncate", a 20-test file
  // and a 100-test module, each run alone (no --parallel).
  if (!SKIP.has("pipeline")) {
    const rounds = QUICK ? 1 : 3;
    const targets = [
      ["a file of 20 tests", "bench/suite/itkit/customers_test.ts", 20],
      ["a module of 100 tests", "bench/suite/itkit_single/all_test.ts", 100],
    ] as const;
    for (const [what, file, count] of targets) {
      const by: Record<string, {
        wall: number[];
        first: number[];
        migration: number[];
        setups: number[];
        cleanups: number[];
        perTest: number[];
        bodies: number[];
      }> = {};
      for (let round = 0; round < rounds; round++) {
        for (const isolation of ["truncate", "database"]) {
          noteLoad();
          const summary = await Deno.makeTempFile({ suffix: ".jsonl" });
          const started = performance.now();
          const out = await new Deno.Command(Deno.execPath(), {
            args: ["test", "-A", "--no-check", file],
            cwd: ROOT.pathname,
            env: {
              NO_COLOR: "1",
              BENCH_ISOLATION: isolation,
              ITKIT_SUMMARY_FILE: summary,
            },
            stdout: "piped",
            stderr: "piped",
          }).output();
          const wall = performance.now() - started;
          const text = new TextDecoder().decode(out.stdout);
          if (!out.success) {
            throw new Error(
              `deno test ${file} (${isolation}) failed:\n${text.slice(-3000)}${
                new TextDecoder().decode(out.stderr).slice(-2000)
              }`,
            );
          }
          const record = JSON.parse(
            (await Deno.readTextFile(summary)).split("\n")[0]!,
          );
          await Deno.remove(summary);
          const t = record.timings.postgresDatabase as {
            setups: number[];
            cleanups: number[];
          };
          const migration = Number(
            /^BENCH migrate \S+ ([\d.]+)$/m.exec(text)?.[1] ?? NaN,
          );
          const entry = by[isolation] ??= {
            wall: [],
            first: [],
            migration: [],
            setups: [],
            cleanups: [],
            perTest: [],
            bodies: [],
          };
          entry.wall.push(wall);
          entry.first.push(t.setups[0]!);
          entry.migration.push(migration);
          entry.setups.push(...t.setups.slice(1));
          entry.cleanups.push(...t.cleanups);
          // Per test, with the first test's wait beyond the migration
          // shared out over the tests.
          // The later tests' bodies: Deno's duration of each test (whole
          // ms; the first test, in whole seconds, is left out) less its
          // setup and cleanup.
          const durations = [...text.matchAll(/ \.\.\. ok \((\d+)ms\)$/gm)]
            .map((m) => Number(m[1]));
          if (durations.length >= count - 1) {
            const later = durations.slice(-(count - 1));
            for (let i = 1; i < count; i++) {
              entry.bodies.push(
                later[i - 1]! - t.setups[i]! - (t.cleanups[i] ?? 0),
              );
            }
          }
          entry.perTest.push(
            (sum(t.setups) - migration + sum(t.cleanups)) / count,
          );
        }
      }
      for (const [isolation, e] of Object.entries(by)) {
        rows.push({
          name:
            `itkit "${isolation}", ${what}: the first test's setup beyond the migration`,
          value: median(e.first.map((f, i) => f - e.migration[i]!)),
          unit: "ms",
          note: `migration ${median(e.migration).toFixed(0)} ms`,
        });
        rows.push({
          name:
            `itkit "${isolation}", ${what}: each later test's setup (its wait for the database)`,
          value: mean(e.setups),
          unit: "ms mean",
          note: `median ${median(e.setups).toFixed(2)} ms, p95 ${
            p95(e.setups).toFixed(1)
          } ms`,
        });
        rows.push({
          name:
            `itkit "${isolation}", ${what}: each test's cleanup (release or reset)`,
          value: mean(e.cleanups),
          unit: "ms mean",
          note: `median ${median(e.cleanups).toFixed(2)} ms, p95 ${
            p95(e.cleanups).toFixed(1)
          } ms`,
        });
        rows.push({
          name:
            `itkit "${isolation}", ${what}: each later test's body (its duration less its setup and cleanup)`,
          value: mean(e.bodies),
          unit: "ms mean",
          ...(isolation === "database" && by.truncate
            ? {
              baseline: mean(by.truncate.bodies),
              ratio: mean(e.bodies) / mean(by.truncate.bodies),
            }
            : {}),
          note: `median ${median(e.bodies).toFixed(1)} ms, p95 ${
            p95(e.bodies).toFixed(1)
          } ms, ${e.bodies.length} tests`,
        });
        rows.push({
          name:
            `itkit "${isolation}", ${what}: per test, setups and cleanups beyond the migration`,
          value: median(e.perTest),
          unit: "ms",
          ...(isolation === "database" && by.truncate
            ? {
              baseline: median(by.truncate.perTest),
              ratio: median(e.perTest) / median(by.truncate.perTest),
            }
            : {}),
          note: `whole deno test ${(median(e.wall) / 1000).toFixed(2)} s`,
        });
      }
    }
  }
} finally {
  for (const name of [...made].reverse()) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  }
  await admin.end();
}

const [server] = await (async () => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await sql<{ version: string }[]>`select version()`;
  } finally {
    await sql.end();
  }
})();
const tmpdir = Deno.env.get("TMPDIR") ?? "/tmp";
const machine = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  postgres: server?.version.split(" on ")[0],
  tmpdir,
  tmpdirFileSystem: fileSystemOf(tmpdir),
  load: loads.length
    ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`
    : "",
  quick: QUICK,
  sections: SECTIONS.filter((section) => !SKIP.has(section)),
};
/**
 * This run's rows, in place of the earlier rows of the same name: a run with
 * `--skip` updates what it measured and keeps the rest.
 */
function merged(earlier: Row[] | undefined): Row[] {
  const fresh = new Map(rows.map((r) => [r.name, r]));
  const kept = (earlier ?? []).map((r) => fresh.get(r.name) ?? r);
  const seen = new Set(kept.map((r) => r.name));
  return [...kept, ...rows.filter((r) => !seen.has(r.name))];
}

if (WRITE) {
  await updateResults((previous) => {
    const earlier = previous.databaseIsolation?.[machine.tmpdirFileSystem];
    // The runs the rows come from: this one alone, unless sections were
    // skipped (their rows are the earlier runs').
    const machines = SKIP.size
      ? [...earlier?.machines ?? [], machine]
      : [machine];
    return {
      ...previous,
      databaseIsolation: {
        ...previous.databaseIsolation,
        [machine.tmpdirFileSystem]: {
          machines,
          rows: merged(earlier?.rows),
        },
      },
    };
  });
}
printTable(rows, machine, {
  baseline: "baseline",
  places: [2, 0],
  ratioPlaces: 2,
  targets: false,
});
