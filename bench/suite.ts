// `deno task bench:suite`: whole suites against their hand-written and
// vitest-style equivalents (issue 28). The same 100 cases (5 files x 20, in
// bench/suite/cases/) against one app (bench/suite/app/: its own postgres.js
// pool, its own migrator of 40 SQL files, 80 tables in the fixed schemas
// `billing` and `jobs`), run by whole `deno test` processes:
//
// - itkit, isolation "truncate", files one after another (no --parallel);
// - itkit, "truncate", --parallel;
// - itkit, "database", --parallel;
// - hand-written, --parallel: each file creates its own database and migrates
//   it, DELETE of the written tables after each test;
// - hand-written, --parallel: each file clones a template that a global setup
//   migrated once (its time counted), DELETE after each test;
// - vitest-style: a global setup migrates one database, the files run one
//   after another on it, TRUNCATE (as the originals) or DELETE after each test.
//
// ("schema" isolation is not run: the app creates fixed schemas and
// `public.schema_migrations`, which no per-test search path can separate; see
// BENCHMARKS.md.)
//
// With `--base <checkout>`, the itkit variants also run from another
// checkout of the toolkit (`base:<id>`, e.g. `main` before a change), in the
// same rounds, so that a change is measured against what it replaces under
// the same load.
//
// Variants alternate within each round (the order rotates from round to
// round); each run records the machine's load, the processes it spawned, the
// migrations' times and, for itkit, the fixture timings of the run summary.
// Ratios are medians of per-round ratios. Writes the `suite` section of
// bench/results.json (the other sections are left as they are) and prints
// the table. Run it through `cli.ts run`, which provides PostgreSQL:
//
//   deno run -A cli.ts run -- deno run -A bench/suite.ts [--rounds 5]
//     [--jobs 2] [--only itkit-truncate-par,hand-migrate-par] [--no-write]
//     [--base /path/to/another/checkout]

import postgres from "postgres";
import { databaseUrl } from "./suite/global_setup.ts";
import {
  fileSystemOf,
  loadAverage,
  machineFacts,
  mean,
  median,
  p95,
  sum,
} from "./_measure.ts";
import { printTable, type Row, updateResults } from "./_results.ts";

const ROOT = new URL("../", import.meta.url);
const SUITE = new URL("suite/", import.meta.url);

function flag(name: string): string | undefined {
  const at = Deno.args.indexOf(name);
  return at === -1 ? undefined : Deno.args[at + 1];
}
const ROUNDS = Number(flag("--rounds") ?? 5);
const JOBS = flag("--jobs") ?? "2";
const ONLY = flag("--only")?.split(",");
const WRITE = !Deno.args.includes("--no-write");
/** Another checkout whose itkit variants run too (`base:<id>`). */
const BASE = flag("--base");
/** The suite's tests: 5 files of 20 cases. */
const TESTS = 100;

/** One way of running the suite. */
interface Variant {
  id: string;
  label: string;
  /** The directory of its test files, under bench/suite/. */
  dir: "itkit" | "hand" | "vitest_style";
  /** The checkout it runs from (default: this one). */
  root?: URL;
  parallel: boolean;
  env: Record<string, string>;
  /**
   * A global setup before `deno test` (timed with it): `template`, a
   * template the files clone; `database`, the one database the files share.
   */
  globalSetup?: "template" | "database";
}

const VARIANTS: Variant[] = [
  {
    id: "itkit-truncate-seq",
    label: 'itkit "truncate", files one after another',
    dir: "itkit",
    parallel: false,
    env: { BENCH_ISOLATION: "truncate" },
  },
  {
    id: "itkit-truncate-par",
    label: 'itkit "truncate", --parallel',
    dir: "itkit",
    parallel: true,
    env: { BENCH_ISOLATION: "truncate" },
  },
  {
    id: "itkit-database-par",
    label: 'itkit "database", --parallel',
    dir: "itkit",
    parallel: true,
    env: { BENCH_ISOLATION: "database" },
  },
  {
    id: "hand-migrate-par",
    label: "hand-written, --parallel, each file migrates its own database",
    dir: "hand",
    parallel: true,
    env: { BENCH_RESET: "delete" },
  },
  {
    id: "hand-template-par",
    label:
      "hand-written, --parallel, each file clones a template migrated by a global setup",
    dir: "hand",
    parallel: true,
    env: { BENCH_RESET: "delete" },
    globalSetup: "template",
  },
  {
    id: "vitest-truncate-seq",
    label:
      "vitest-style: one database migrated by a global setup, files one after another, TRUNCATE after each test",
    dir: "vitest_style",
    parallel: false,
    env: { BENCH_RESET: "truncate" },
    globalSetup: "database",
  },
  {
    id: "vitest-delete-seq",
    label: "vitest-style, DELETE instead of TRUNCATE after each test",
    dir: "vitest_style",
    parallel: false,
    env: { BENCH_RESET: "delete" },
    globalSetup: "database",
  },
];

/** What one run of one variant measured. */
interface RunRecord {
  round: number;
  variant: string;
  /** Wall clock of the whole run: global setup, `deno test`, teardown. */
  ms: number;
  /** Of which the global setup and teardown. */
  globalMs: number;
  /** The 1-minute load average before and after the run. */
  load: [number, number];
  /** Share of the machine's CPU time busy during the run, all processes. */
  busy: number;
  /**
   * CPU ms: the test process's, its helpers' (as last seen while it ran),
   * the PostgreSQL server's (all its processes, the whole run).
   */
  cpu: { test: number; reapers: number; cloneHelpers: number; server: number };
  /** Deno processes the run started: the test process, helpers, setups. */
  processes: { deno: number; reapers: number; cloneHelpers: number };
  /** Migration times, ms, one per migrated database. */
  migrations: number[];
  /** The sum of Deno's per-test durations (fixtures, body, reset). */
  testsMs: number;
  /** Hand-written suites: the time of their resets after each test, summed. */
  resets: number;
  /** itkit's database fixture timings (ms) from the run summary. */
  fixture?: FixtureTimings;
}

interface FixtureTimings {
  /** The first test's setup in each file (migration, template, clones). */
  firstSetups: number[];
  /** The later tests' setups. */
  setups: number[];
  cleanups: number[];
}

const decoder = new TextDecoder();

/** Busy and total jiffies of all CPUs. */
function cpuTimes(): [number, number] {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = sum(fields);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return [total - idle, total];
}

/** The fields of /proc/<pid>/stat after the command name (field 3 on). */
function statFields(pid: number): string[] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}
/** CPU ms of a process's own threads (utime + stime; 100 ticks a second). */
function cpuMsOf(fields: string[], children = false): number {
  const at = (i: number) => Number(fields[i] ?? 0);
  return (at(11) + at(12) + (children ? at(13) + at(14) : 0)) * 10;
}

/** What a test process and the processes it spawned used. */
interface Watched {
  /** Its children, by pid: command line and CPU ms at the last look. */
  children: Map<number, { cmdline: string; cpuMs: number }>;
  /** The test process's own CPU ms at the last look before it ended. */
  cpuMs: number;
}

/**
 * Watches the test process `pid` and the processes whose parent it is (the
 * helpers it spawns; they stay its children while it runs), every 100 ms:
 * new process ids are looked at once, so a scan reads little. CPU times are
 * the last ones seen (a helper's work after the last look is missed).
 */
function watchChildren(pid: number): () => Watched {
  const seen = new Set<number>();
  const watched: Watched = { children: new Map(), cpuMs: 0 };
  const scan = () => {
    try {
      watched.cpuMs = cpuMsOf(statFields(pid));
    } catch {
      // ended
    }
    for (const entry of Deno.readDirSync("/proc")) {
      const id = Number(entry.name);
      if (!Number.isInteger(id) || seen.has(id)) continue;
      seen.add(id);
      try {
        if (Number(statFields(id)[1]) === pid) {
          watched.children.set(id, { cmdline: "", cpuMs: 0 });
        }
      } catch {
        // gone already
      }
    }
    for (const [id, child] of watched.children) {
      try {
        child.cpuMs = cpuMsOf(statFields(id));
        // Read again until it is a program of its own (a child seen between
        // its fork and its exec has the test process's command line).
        if (!child.cmdline.includes("_main.ts")) {
          child.cmdline = Deno.readTextFileSync(`/proc/${id}/cmdline`)
            .replaceAll("\0", " ");
        }
      } catch {
        // gone
      }
    }
  };
  // Processes that exist now are not the test process's children yet.
  for (const entry of Deno.readDirSync("/proc")) {
    const id = Number(entry.name);
    if (Number.isInteger(id) && id !== pid) seen.add(id);
  }
  scan();
  const timer = setInterval(scan, 100);
  return () => {
    clearInterval(timer);
    scan();
    return watched;
  };
}

/**
 * CPU ms the PostgreSQL server has used so far: the postmaster's, its
 * children's that ended, and its live children's (backends, checkpointer).
 */
function serverCpuMs(postmaster: number): number {
  let total = cpuMsOf(statFields(postmaster), true);
  for (const entry of Deno.readDirSync("/proc")) {
    const id = Number(entry.name);
    if (!Number.isInteger(id)) continue;
    try {
      const fields = statFields(id);
      if (Number(fields[1]) === postmaster) total += cpuMsOf(fields);
    } catch {
      // gone
    }
  }
  return total;
}

/** Runs `deno <args>` in the project, failing with its output. */
async function deno(
  args: string[],
  env: Record<string, string>,
  onSpawn?: (pid: number) => void,
  root = ROOT,
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root.pathname,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  onSpawn?.(child.pid);
  const out = await child.output();
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`deno ${args.join(" ")} failed:\n${text.slice(-4000)}`);
  }
  return text;
}

const adminUrl = Deno.env.get("DATABASE_URL");
if (!adminUrl) {
  throw new Error(
    "Cannot run the suite bench: DATABASE_URL is not set (run it through `deno run -A cli.ts run -- …`)",
  );
}

/** The local server's postmaster, to read its CPU time (if it is local). */
const postmaster = await (async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<
      { pid: number }[]
    >`select pg_backend_pid() as pid`;
    return Number(statFields(row!.pid)[1]);
  } catch {
    return undefined;
  } finally {
    await admin.end();
  }
})();

/** The suite directory of a variant's checkout. */
function suiteOf(variant: Variant): URL {
  return variant.root ? new URL("bench/suite/", variant.root) : SUITE;
}

/** Databases this bench made (dropped at the end if a run left them). */
const made = new Set<string>();

async function runOnce(variant: Variant, round: number): Promise<RunRecord> {
  const summary = await Deno.makeTempFile({ suffix: ".jsonl" });
  const env: Record<string, string> = {
    ...variant.env,
    DENO_JOBS: JOBS,
    ITKIT_SUMMARY_FILE: summary,
  };
  const name = `bench_${variant.globalSetup ?? "none"}_${
    crypto.randomUUID().slice(0, 8)
  }`;
  let output = "";
  let globalMs = 0;
  let processes = 0;
  let watched: Watched = { children: new Map(), cpuMs: 0 };
  const load = loadAverage();
  const [busy0, total0] = cpuTimes();
  const server0 = postmaster ? serverCpuMs(postmaster) : NaN;
  const started = performance.now();
  try {
    if (variant.globalSetup) {
      made.add(name);
      const t = performance.now();
      output += await deno([
        "run",
        "-A",
        "--no-check",
        new URL("global_setup.ts", SUITE).pathname,
        "setup",
        name,
      ], {});
      processes++;
      globalMs += performance.now() - t;
      if (variant.globalSetup === "template") env.BENCH_TEMPLATE = name;
      else env.DATABASE_URL = databaseUrl(adminUrl!, name);
    }
    let stop = (): Watched => watched;
    output += await deno(
      [
        "test",
        "-A",
        "--no-check",
        ...(variant.parallel ? ["--parallel"] : []),
        new URL(`${variant.dir}/`, suiteOf(variant)).pathname,
      ],
      env,
      (pid) => stop = watchChildren(pid),
      variant.root,
    );
    watched = stop();
    processes++;
  } finally {
    if (variant.globalSetup) {
      const t = performance.now();
      await deno([
        "run",
        "-A",
        "--no-check",
        new URL("global_setup.ts", SUITE).pathname,
        "teardown",
        name,
      ], {});
      processes++;
      globalMs += performance.now() - t;
      made.delete(name);
    }
  }
  const ms = performance.now() - started;
  const [busy1, total1] = cpuTimes();
  const server1 = postmaster ? serverCpuMs(postmaster) : NaN;
  const children = [...watched.children.values()];
  const kinds = children.map((c) => c.cmdline);
  const helperCpu = (part: string) =>
    sum(children.filter((c) => c.cmdline.includes(part)).map((c) => c.cpuMs));
  const record: RunRecord = {
    round,
    variant: variant.id,
    ms,
    globalMs,
    load: [load, loadAverage()],
    busy: (busy1 - busy0) / (total1 - total0),
    cpu: {
      test: watched.cpuMs,
      reapers: helperCpu("_reaper_main.ts"),
      cloneHelpers: helperCpu("_clone_pool_main.ts"),
      server: server1 - server0,
    },
    processes: {
      // The toolkit's helpers are all Deno programs.
      deno: processes + kinds.length,
      reapers: kinds.filter((c) => c.includes("_reaper_main.ts")).length,
      cloneHelpers: kinds.filter((c) => c.includes("_clone_pool_main.ts"))
        .length,
    },
    migrations: [...output.matchAll(/^BENCH migrate \S+ ([\d.]+)$/gm)].map((
      m,
    ) => Number(m[1])),
    testsMs: sum(
      [...output.matchAll(/ \.\.\. ok \((\d+)(ms|s)\)$/gm)].map((m) =>
        Number(m[1]) * (m[2] === "s" ? 1000 : 1)
      ),
    ),
    resets: [...output.matchAll(/^BENCH reset \S+ ([\d.]+) (\d+)$/gm)].reduce(
      (total, m) => total + Number(m[1]),
      0,
    ),
  };
  const lines = (await Deno.readTextFile(summary)).split("\n").filter(Boolean);
  await Deno.remove(summary);
  if (lines.length) {
    const fixture: FixtureTimings = {
      firstSetups: [],
      setups: [],
      cleanups: [],
    };
    for (const line of lines) {
      const t = JSON.parse(line).timings?.postgresDatabase;
      if (!t) continue;
      fixture.firstSetups.push(t.setups[0]);
      fixture.setups.push(...t.setups.slice(1));
      fixture.cleanups.push(...t.cleanups);
    }
    record.fixture = fixture;
  }
  return record;
}

if (BASE) {
  const root = new URL(`file://${Deno.realPathSync(BASE)}/`);
  for (const v of VARIANTS.filter((v) => v.dir === "itkit")) {
    VARIANTS.push({
      ...v,
      id: `base:${v.id}`,
      label: `${v.label} (${BASE})`,
      root,
    });
  }
}
const variants = VARIANTS.filter((v) =>
  !ONLY || ONLY.includes(v.id) || ONLY.includes(v.id.replace(/^base:/, ""))
);
if (variants.length === 0) throw new Error(`--only matched no variant`);

// The module graphs and npm packages, once, outside the timings.
await deno([
  "cache",
  ...variants.filter((v) => !v.root).map((v) =>
    new URL(`${v.dir}/customers_test.ts`, SUITE).pathname
  ),
  new URL("global_setup.ts", SUITE).pathname,
], {});
if (BASE) {
  await deno(
    [
      "cache",
      new URL("itkit/customers_test.ts", suiteOf(variants.find((v) => v.root)!))
        .pathname,
    ],
    {},
    undefined,
    variants.find((v) => v.root)!.root,
  );
}

const runs: RunRecord[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[(i + round) % variants.length]!;
    const record = await runOnce(variant, round);
    runs.push(record);
    console.error(
      `round ${round + 1}/${ROUNDS} ${variant.id}: ${
        (record.ms / 1000).toFixed(2)
      } s (load ${record.load[0].toFixed(1)} -> ${
        record.load[1].toFixed(1)
      }, cpu busy ${
        (record.busy * 100).toFixed(0)
      } %, ${record.processes.deno} deno processes, cpu ms ${
        JSON.stringify(record.cpu)
      })`,
    );
  }
}

// Databases a failed run left (the bench's own names only).
if (made.size) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  for (const name of made) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  }
  await admin.end();
}

const rows: Row[] = [];
const of = (id: string) => runs.filter((r) => r.variant === id);
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

for (const v of variants) {
  const rs = of(v.id);
  const times = rs.map((r) => r.ms);
  const p = rs[0]!.processes;
  rows.push({
    name: `suite: ${v.label}`,
    value: median(times),
    unit: "ms",
    note: `${rs.length} rounds, ${fmt(Math.min(...times))}–${
      fmt(Math.max(...times))
    }, load ${Math.min(...rs.map((r) => r.load[0])).toFixed(1)}–${
      Math.max(...rs.map((r) => r.load[0])).toFixed(1)
    }; ${p.deno} deno processes (${p.reapers} reapers, ${p.cloneHelpers} clone helpers)${
      v.globalSetup
        ? `; global setup + teardown ${fmt(median(rs.map((r) => r.globalMs)))}`
        : ""
    }`,
  });
}

/** The per-round ratios of `a` to `b`. */
function ratios(a: string, b: string): number[] {
  const xs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const x = of(a).find((r) => r.round === round);
    const y = of(b).find((r) => r.round === round);
    if (x && y) xs.push(x.ms / y.ms);
  }
  return xs;
}

const comparisons: [string, string, string, number][] = [
  ["itkit-truncate-par", "hand-migrate-par", "<= 1.0x", 1.0],
  ["itkit-truncate-par", "hand-template-par", "<= 1.0x", 1.0],
  ["itkit-truncate-par", "vitest-truncate-seq", "<= 0.9x", 0.9],
  ["itkit-truncate-par", "vitest-delete-seq", "<= 0.9x", 0.9],
  ["itkit-database-par", "hand-migrate-par", "<= 1.0x", 1.0],
  ["itkit-database-par", "hand-template-par", "<= 1.0x", 1.0],
  ["itkit-database-par", "vitest-truncate-seq", "<= 0.9x", 0.9],
  ["itkit-database-par", "vitest-delete-seq", "<= 0.9x", 0.9],
  ["itkit-truncate-par", "base:itkit-truncate-par", "", NaN],
  ["itkit-database-par", "base:itkit-database-par", "", NaN],
  ["itkit-truncate-seq", "base:itkit-truncate-seq", "", NaN],
  ["base:itkit-truncate-par", "hand-migrate-par", "", NaN],
  ["base:itkit-truncate-par", "vitest-delete-seq", "", NaN],
  ["itkit-truncate-seq", "vitest-truncate-seq", "", NaN],
  ["itkit-truncate-seq", "vitest-delete-seq", "", NaN],
  ["itkit-truncate-par", "itkit-truncate-seq", "", NaN],
];
for (const [a, b, target, limit] of comparisons) {
  const xs = ratios(a, b);
  if (xs.length === 0) continue;
  const r = median(xs);
  rows.push({
    name: `suite: ${a} vs ${b}`,
    value: median(of(a).map((x) => x.ms)),
    unit: "ms",
    baseline: median(of(b).map((x) => x.ms)),
    ratio: r,
    ...(target ? { target, met: r <= limit } : {}),
    note: `median of ${xs.length} per-round ratios, ${
      Math.min(...xs).toFixed(2)
    }–${Math.max(...xs).toFixed(2)}`,
  });
}

// Where itkit's time goes.
for (const v of variants) {
  const rs = of(v.id);
  const migrations = rs.flatMap((r) => r.migrations);
  if (migrations.length) {
    rows.push({
      name: `suite: ${v.id}: migration (40 files) per migrated database`,
      value: median(migrations),
      unit: "ms",
      note: `${migrations.length / rs.length} per run, ${
        fmt(median(rs.map((r) => sum(r.migrations))))
      } in all per run (median)`,
    });
  }
  const cpu = (part: keyof RunRecord["cpu"]) =>
    median(rs.map((r) => r.cpu[part]));
  rows.push({
    name: `suite: ${v.id}: CPU time per run`,
    value: median(rs.map((r) => sum(Object.values(r.cpu)))),
    unit: "ms",
    note: `test process ${cpu("test").toFixed(0)} ms, reapers ${
      cpu("reapers").toFixed(0)
    } ms, clone helpers ${cpu("cloneHelpers").toFixed(0)} ms, PostgreSQL ${
      cpu("server").toFixed(0)
    } ms (medians; the 2 cores give 2 s a second)`,
  });
  rows.push({
    name: `suite: ${v.id}: Deno's per-test durations, summed over the files`,
    value: median(rs.map((r) => r.testsMs)),
    unit: "ms",
    note: "fixtures or reset, and body, of every test",
  });
  if (rs.some((r) => r.resets > 0)) {
    rows.push({
      name: `suite: ${v.id}: the hand-written reset after each test`,
      value: median(rs.map((r) => r.resets)) / TESTS,
      unit: "ms mean",
    });
  }
  const fixtures = rs.map((r) => r.fixture).filter((f) => f !== undefined);
  if (fixtures.length) {
    const first = fixtures.flatMap((f) => f.firstSetups);
    const setups = fixtures.flatMap((f) => f.setups);
    const cleanups = fixtures.flatMap((f) => f.cleanups);
    rows.push({
      name:
        `suite: ${v.id}: a file's first database setup (migration, template, clones)`,
      value: median(first),
      unit: "ms",
      note: `p95 ${p95(first).toFixed(0)} ms`,
    });
    rows.push({
      name: `suite: ${v.id}: later database setups (the wait per test)`,
      value: mean(setups),
      unit: "ms mean",
      note: `median ${median(setups).toFixed(2)} ms, p95 ${
        p95(setups).toFixed(1)
      } ms`,
    });
    rows.push({
      name: `suite: ${v.id}: database cleanups (reset or release per test)`,
      value: mean(cleanups),
      unit: "ms mean",
      note: `median ${median(cleanups).toFixed(2)} ms, p95 ${
        p95(cleanups).toFixed(1)
      } ms`,
    });
    rows.push({
      name: `suite: ${v.id}: test bodies per run`,
      value: median(
        rs.map((r) =>
          r.fixture
            ? r.testsMs - sum(r.fixture.firstSetups) - sum(r.fixture.setups) -
              sum(r.fixture.cleanups)
            : NaN
        ).filter((x) => !Number.isNaN(x)),
      ),
      unit: "ms",
      note:
        "Deno's per-test durations less the fixture time (a duration over 1 s is printed in whole seconds)",
    });
    rows.push({
      name: `suite: ${v.id}: fixture time on the tests' path per run`,
      value: median(
        fixtures.map((f) =>
          sum(f.firstSetups) + sum(f.setups) + sum(f.cleanups)
        ),
      ),
      unit: "ms",
      note: "setups + cleanups of every test, summed over the files",
    });
  }
}

const stat = Deno.readTextFileSync("/proc/self/stat");
const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const [server] = await admin<{ version: string }[]>`select version()`;
await admin.end();
const tmpdir = Deno.env.get("TMPDIR") ?? "/tmp";
const machine = {
  ...machineFacts(),
  postgres: server?.version.split(" on ")[0],
  tmpdir,
  tmpdirFileSystem: fileSystemOf(tmpdir),
  nice,
  denoJobs: Number(JOBS),
  rounds: ROUNDS,
};

/** A run as bench/results.json keeps it: fixture timings summarized, 0.1 ms. */
function compactRun(run: RunRecord): Record<string, unknown> {
  const round = (x: number) => Math.round(x * 10) / 10;
  const stats = (xs: number[]) => ({
    count: xs.length,
    mean: round(mean(xs)),
    median: round(median(xs)),
    p95: round(p95(xs)),
  });
  const { fixture, ...rest } = run;
  return {
    ...rest,
    ms: round(run.ms),
    globalMs: round(run.globalMs),
    busy: round(run.busy * 100) / 100,
    migrations: run.migrations.map(round),
    resets: round(run.resets),
    ...(fixture
      ? {
        fixture: {
          firstSetups: fixture.firstSetups.map(round),
          setups: stats(fixture.setups),
          cleanups: stats(fixture.cleanups),
        },
      }
      : {}),
  };
}

if (WRITE) {
  await updateResults((previous) => ({
    ...previous,
    suite: {
      ...previous.suite,
      [machine.tmpdirFileSystem]: {
        machine,
        rows,
        runs: runs.map(compactRun),
      },
    },
  }));
}
printTable(rows, machine, {
  baseline: "baseline",
  places: [2, 0],
  ratioPlaces: 2,
  targets: true,
});
