// The fault matrix: every fault against every fixture kind, counting what is
// left afterwards, inside the test process and on the servers. Target: 0.
//
// Everything runs at module load, against private servers and with a private
// temp dir per row (nothing else uses them, so anything left on them is the
// matrix's); each Deno.test below reads one row's result.
//  1. The faults inside a test (throw, timeout, stray errors, ...), several
//     rows per process, and signals from outside at a random moment (each
//     child in its own process group): the reaper and the clone helper remove
//     everything, with no sweep.
//     All the while, on the same servers (as CI jobs share a staging
//     server), sweeps with no age limit run one after another: each row's
//     resources belong to a live run (its lease held), so they touch none.
//  2. Then, alone: SIGKILL of the whole group with no reaper; once its
//     database helper is done, one sweep.
import assert from "node:assert/strict";
import {
  type DenoTestRun,
  eventually,
  runDenoTest,
} from "../_shared/harness.ts";
import { startInGroup } from "../_shared/group.ts";
import {
  listBuckets,
  listPostgresLeftovers,
  provisionServices,
  sweep,
  type SweepReport,
} from "../../services.ts";
import { s3Config } from "../../s3.ts";
import { postgresConfig } from "../../postgres.ts";

const KINDS = 8;
/** Rows running at once: enough to overlap their waits on 2 cores. */
const AT_ONCE = 5;

/**
 * The faults inside a test, by process: one `deno test` runs several rows (a
 * test per fault and fixture kind, each followed by its check), so that a
 * fault that leaks also shows in the next row's check, and Deno's start, the
 * module's load, the reaper and the clone helper are paid once per process
 * rather than per row (13 rows: about 5 s of CPU in one process, 2.8-3.5 s
 * each alone). The faults that wait (timeouts, a stray error after a second)
 * run apart from the quick ones; --fail-fast alone.
 */
const processes: { name: string; faults: string[]; args?: string[] }[] = [
  {
    name: "quick",
    faults: [
      "throw",
      "assert",
      "step",
      "setup",
      "cleanup",
      "stray-setup",
      "stray-same-turn",
      "stray-step",
      "stray-disposal",
    ],
  },
  {
    name: "waiting",
    faults: ["timeout", "unhandled", "stray-timer", "stray-timeout"],
  },
  { name: "failfast", faults: ["failfast"], args: ["--fail-fast"] },
];

interface Kill {
  fault: string;
  signal?: Deno.Signal;
  group?: boolean;
  timeout?: boolean;
}
const kills: Kill[] = [
  { fault: "SIGKILL of the test pid", signal: "SIGKILL" },
  { fault: "SIGINT to the process group", signal: "SIGINT", group: true },
  { fault: "SIGTERM to the process group", signal: "SIGTERM", group: true },
  { fault: "SIGKILL of the process group", signal: "SIGKILL", group: true },
  { fault: "GNU timeout", timeout: true },
];

/** Kills a run at a random moment; returns what a failure should show. */
async function killedRun(
  kill: Kill,
  env: Record<string, string>,
): Promise<string> {
  // GNU timeout counts from the start (Deno starts in about 0.5 s); the
  // others from when the module has loaded and its tests start.
  const moment = kill.timeout
    ? 1_000 + Math.random() * 1_500
    : Math.random() * 1_500;
  await using run = await startInGroup(["fault_matrix.ts"], {
    env: { ITKIT_FAULT: "sleep", ...env },
    prefix: kill.timeout ? ["timeout", (moment / 1000).toFixed(2)] : [],
  });
  if (kill.signal) {
    await run.ready();
    await new Promise((resolve) => setTimeout(resolve, moment));
    run.kill(kill.signal, kill.group);
  }
  const { code, output, failed } = await run.finish();
  const what = `killed ${kill.timeout ? "after" : "after READY +"} ${
    moment.toFixed(0)
  } ms:\n${output}`;
  // The kill landed while the tests ran (not after they had all passed),
  // and the reaper removed everything it had without a failure.
  assert.notEqual(code, 0, what);
  assert.deepEqual(failed, [], what);
  return what;
}

/** Whether a database helper of a run with temp dir `tmp` still runs. */
function helperRunning(tmp: string): boolean {
  for (const { name } of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const line = Deno.readTextFileSync(`/proc/${name}/cmdline`);
      if (line.includes(`${tmp}/ready-drops-`)) return true;
    } catch { /* gone */ }
  }
  return false;
}

/** What a run left in its own temp dir. */
async function leftIn(tmp: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(tmp)) names.push(entry.name);
  return names;
}

const services = await provisionServices({ env: {} });
const s3 = s3Config(services.env);
const pg = postgresConfig(services.env);
const root = await Deno.makeTempDir({ prefix: "itkit-matrix-" });
// Like /tmp: the helpers of a root process may run as another user.
await Deno.chmod(root, 0o1777);
const runs = new Map<string, DenoTestRun>();
const killed = new Map<string, unknown>();
let leftovers: string[] = [];
let afterSweep: string[] = [];
let sweepError: unknown;
/** The full-disk row: its run and what it left, or why it did not run. */
let fullDisk: { run: DenoTestRun; left: string[] } | { why: string } = {
  why: "not run",
};
/** The sweeps that ran beside the rows, and the row dirs they swept. */
const besideRows: { report: SweepReport; tmp: string }[] = [];
let besideError: unknown;
let sweeping = true;
let sweeper: Promise<void> | undefined;

/**
 * Every row's leftovers, read once: each row's run returned only once its
 * reapers and clone helpers had said they exited and were gone
 * (waitForReapers), so nothing is still removing them.
 */
async function settledLeftovers(rows: string[]): Promise<string[]> {
  // Live runs' too: every run here has ended (its reapers were waited for),
  // and a reaper still holding its lease with resources left is what this
  // counts.
  const left = [
    ...await listBuckets(s3, { includeLive: true }),
    ...await listPostgresLeftovers(pg, { includeLive: true }),
  ];
  for (const row of rows) {
    const names = await leftIn(`${root}/${row}`);
    left.push(...names.map((name) => `${row}: ${name}`));
  }
  return left;
}

async function rowDir(row: string): Promise<string> {
  const dir = `${root}/${row.replaceAll(" ", "-")}`;
  await Deno.mkdir(dir, { mode: 0o1777 });
  await Deno.chmod(dir, 0o1777);
  return dir;
}

try {
  const queue: (() => Promise<void>)[] = [
    ...processes.map(({ name, faults, args }) => async () => {
      const tmp = await rowDir(name);
      runs.set(
        name,
        await runDenoTest(["fault_matrix.ts"], {
          env: {
            ...services.env,
            ITKIT_FAULT: faults.join(","),
            TMPDIR: tmp,
          },
          args: args ?? [],
        }),
      );
    }),
    ...kills.map((kill) => async () => {
      const tmp = await rowDir(kill.fault);
      try {
        await killedRun(kill, { ...services.env, TMPDIR: tmp });
        killed.set(kill.fault, undefined);
      } catch (error) {
        killed.set(kill.fault, error);
      }
    }),
  ];
  // Sweeps beside the rows, one after another, each with one row's temp dir
  // in turn; paced (a CI job sweeps now and then), which only bounds what
  // they cost this test (about 50 ms of CPU each; some 20 run). They run on
  // until the rows' reapers are done.
  sweeper = (async () => {
    try {
      for (let i = 0; sweeping; i++) {
        const dirs = [...Deno.readDirSync(root)].map((e) => e.name).sort();
        const tmp = `${root}/${dirs[i % Math.max(1, dirs.length)] ?? ""}`;
        const report = await sweep({
          olderThan: 0,
          s3,
          postgres: pg,
          tmpDir: tmp,
        });
        besideRows.push({ report, tmp });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (error) {
      besideError = error;
    }
  })();
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
  leftovers = await settledLeftovers([
    ...processes.map((p) => p.name),
    ...kills.map((k) => k.fault.replaceAll(" ", "-")),
  ]);
  sweeping = false;
  await sweeper;

  // Alone: the whole group killed with no reaper; one sweep cleans up.
  const tmp = await rowDir("no-reaper");
  try {
    await killedRun(
      { fault: "SIGKILL", signal: "SIGKILL", group: true },
      { ...services.env, TMPDIR: tmp, ITKIT_REAPER: "0" },
    );
    // The database helper (in a session of its own) outlives the group to
    // drop its databases, holding the run's lease meanwhile.
    for (let i = 0; helperRunning(tmp); i++) {
      assert.ok(i < 600, "the database helper did not end within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const report = await sweep({ olderThan: 0, s3, postgres: pg, tmpDir: tmp });
    assert.deepEqual(report.failed, []);
    afterSweep = await settledLeftovers(["no-reaper"]);
  } catch (error) {
    sweepError = error;
  }

  // Alone too: a full disk where the toolkit keeps its files (TMPDIR on a
  // full tmpfs; root only), every fixture kind hit by a throw.
  fullDisk = await fullDiskRow();
} finally {
  sweeping = false;
  await sweeper;
  await services.close();
  await Deno.remove(root, { recursive: true });
}

/** The pids of the processes whose environment sets TMPDIR to `dir`. */
async function processesWithTmpdir(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const environ = await Deno.readTextFile(`/proc/${entry.name}/environ`)
      .catch(() => ""); // gone since, or not ours to read
    if (environ.split("\0").includes(`TMPDIR=${dir}`)) {
      pids.push(Number(entry.name));
    }
  }
  return pids;
}

/**
 * Runs the matrix's "throw" row with TMPDIR on a full 64k tmpfs (root only):
 * what it reports, and what it left on the servers and in that dir.
 */
async function fullDiskRow(): Promise<
  { run: DenoTestRun; left: string[] } | { why: string }
> {
  if (Deno.uid() !== 0) return { why: "mounting a tmpfs needs root" };
  const tmp = await rowDir("full-disk");
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k,mode=1777", "tmpfs", tmp],
    stderr: "piped",
  }).output();
  if (!mount.success) {
    return { why: new TextDecoder().decode(mount.stderr).trim() };
  }
  let result: { run: DenoTestRun; left: string[] };
  try {
    await new Deno.Command("dd", {
      args: ["if=/dev/zero", `of=${tmp}/fill`, "bs=4k"],
      stderr: "null",
    }).output();
    const run = await runDenoTest(["fault_matrix.ts"], {
      env: {
        ...services.env,
        ITKIT_FAULT: "throw",
        TMPDIR: tmp,
        ITKIT_REAPER_LOG: `${tmp}/itkit-reaper.log`,
      },
    });
    // Without a reaper log no helper can say it exited: wait for the event
    // itself, every process of the row gone (the clone helper drops the
    // process's templates as it exits, once it sees its parent gone).
    await eventually(
      async () => (await processesWithTmpdir(tmp)).length === 0,
      `the full-disk row's processes have exited`,
      {
        ms: 15_000,
        why:
          "a clone helper notices its parent gone at once, drops a template in well under a second, and may be slow to start on a loaded machine",
      },
    );
    const left = (await settledLeftovers(["full-disk"])).filter((name) =>
      name !== "full-disk: fill" && name !== "full-disk: itkit-reaper.log"
    );
    result = { run, left };
  } finally {
    await new Deno.Command("umount", { args: [tmp] }).output();
  }
  if (await Deno.stat(`${tmp}/fill`).then(() => true, () => false)) {
    throw new Error(`could not unmount ${tmp}`);
  }
  return result;
}

/** Each kind's result under `fault`: its test's, and its check's. */
function outcomes(
  output: string,
  fault: string,
): { tests: string[]; checks: string[]; leftovers: number } {
  const under = `(.+) under ${fault}`; // fault names: [a-z-]
  const results = (prefix: string) =>
    [...output.matchAll(
      new RegExp(`^${prefix}${under} \\.\\.\\. (ok|FAILED)`, "gm"),
    )].map((m) => `${m[1]} ${m[2]}`);
  const leftovers = [...output.matchAll(
    new RegExp(`^LEFTOVERS .* ${fault}: (\\d+)`, "gm"),
  )].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    tests: results("\\[integration\\] "),
    checks: results("check after "),
    leftovers,
  };
}

for (const { name, faults } of processes) {
  for (const fault of faults) {
    Deno.test(`fault matrix: ${fault} fails the faulty tests and leaves the process clean`, () => {
      const run = runs.get(name)!;
      const { tests, checks, leftovers } = outcomes(run.output, fault);
      // Every faulty test fails; every in-process check after one passes.
      const kinds = fault === "failfast" ? 1 : KINDS;
      assert.equal(tests.length, kinds, run.output);
      assert.ok(tests.every((t) => t.endsWith(" FAILED")), run.output);
      assert.equal(checks.length, fault === "failfast" ? 0 : KINDS, run.output);
      assert.ok(checks.every((t) => t.endsWith(" ok")), run.output);
      assert.equal(leftovers, 0, run.output);
      // Nothing escaped to the module: no test was cancelled.
      assert.equal(
        [...run.output.matchAll(/ \.\.\. cancelled/g)].length,
        0,
        run.output,
      );
      assert.doesNotMatch(run.output, /Uncaught error from/);
      if (fault === "unhandled" || fault.startsWith("stray-")) {
        // Each stray error failed the test it happened in, by name.
        const named = new Set(
          [...run.output.matchAll(
            new RegExp(
              `unhandled error during test "(?!check after )(.+?) under ${fault}"`,
              "g",
            ),
          )].map((m) => m[1]),
        );
        assert.equal(named.size, KINDS, run.output);
      }
    });
  }
  Deno.test(`fault matrix: the ${name} process ran its rows and nothing else`, () => {
    const run = runs.get(name)!;
    const rows = faults.length * (name === "failfast" ? 1 : KINDS);
    assert.equal(run.failed, rows, run.output);
    assert.equal(run.passed, name === "failfast" ? 0 : rows, run.output);
    const inProcess = [...run.output.matchAll(/^LEFTOVERS .*: (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(inProcess, 0, run.output);
    // Its reapers and clone helpers did all their work.
    assert.deepEqual(run.reaperFailed, [], run.output);
  });
}

for (const { fault } of kills) {
  Deno.test(`fault matrix: ${fault} at a random moment is cleaned up by the reaper`, () => {
    assert.ok(killed.has(fault), "the row did not run");
    if (killed.get(fault)) throw killed.get(fault);
  });
}

Deno.test("fault matrix: no fault or kill leaves a dir, bucket, schema or database behind, with no sweep", () => {
  assert.deepEqual(leftovers, []);
});

Deno.test("fault matrix: sweeps with no age limit beside every row (a shared server) touch nothing of a live run and never fail", () => {
  if (besideError) throw besideError;
  assert.ok(besideRows.length > 0, "no sweep ran beside the rows");
  assert.deepEqual(besideRows.flatMap(({ report }) => report.removed), []);
  assert.deepEqual(besideRows.flatMap(({ report }) => report.failed), []);
  for (const { report, tmp } of besideRows) {
    assert.deepEqual(report.stores.map((s) => s.status), [
      "swept",
      "swept",
      "swept",
    ], `${tmp}: ${JSON.stringify(report)}`);
  }
  // They did see the rows' resources, and left them to their runs.
  assert.ok(besideRows.some(({ report }) => report.inUse.length > 0));
});

Deno.test("fault matrix: SIGKILL of the process group without a reaper leaves nothing after one sweep", () => {
  if (sweepError) throw sweepError;
  assert.deepEqual(afterSweep, []);
});

Deno.test({
  name:
    `fault matrix: a full disk where the toolkit keeps its files is said, fails no test by itself, and leaves nothing${
      "why" in fullDisk ? ` (ignored: ${fullDisk.why})` : ""
    }`,
  ignore: "why" in fullDisk,
}, () => {
  const { run, left } = fullDisk as { run: DenoTestRun; left: string[] };
  assert.match(
    run.output,
    /itkit: no reaper for this process: its log \S+ cannot be written \(No space left on device/,
  );
  // Every kind failed by its throw alone (a directory takes no block of a
  // full tmpfs), every check after it passed, and nothing was left on the
  // servers or in the dir.
  const kinds = [
    ...run.output.matchAll(/^\[integration\] .* under throw \.\.\. FAILED/gm),
  ];
  assert.equal(run.failed, kinds.length, run.output);
  assert.equal(run.passed, kinds.length, run.output);
  assert.equal(
    [...run.output.matchAll(/^error: Error: boom$/gm)].length,
    kinds.length,
    run.output,
  );
  assert.deepEqual(left, [], run.output);
});
