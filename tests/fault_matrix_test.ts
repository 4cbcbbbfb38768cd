// The fault matrix: every fault against every fixture kind, counting what is
// left afterwards, inside the test process and on the servers. Target: 0.
import assert from "node:assert/strict";
import { runDenoTest } from "./_harness.ts";
import { bucketNames, itkitObjects } from "./_services.ts";
import { startInGroup } from "./_group.ts";
import { sweep } from "../services.ts";

const KINDS = 8;

/** Dirs fixtures made under `tmp` (their private parents included). */
async function dirsUnder(tmp: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(tmp)) dirs.push(entry.name);
  return dirs;
}

async function settle<T>(read: () => Promise<T[]>, before: T[]): Promise<T[]> {
  // Template databases are dropped by a helper after the process exits.
  let extra: T[] = [];
  for (let i = 0; i < 40; i++) {
    extra = (await read()).filter((x) => !before.includes(x));
    if (extra.length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return extra;
}

const faults: { fault: string; args?: string[]; ran: number }[] = [
  { fault: "throw", ran: KINDS },
  { fault: "assert", ran: KINDS },
  { fault: "step", ran: KINDS },
  { fault: "setup", ran: KINDS },
  { fault: "cleanup", ran: KINDS },
  { fault: "timeout", ran: KINDS },
  { fault: "unhandled", ran: KINDS },
  { fault: "failfast", args: ["--fail-fast"], ran: 1 },
];

for (const { fault, args, ran } of faults) {
  Deno.test(`fault matrix: ${fault} leaves nothing behind for any fixture kind`, async () => {
    // A private TMPDIR: other processes on this machine make itkit- dirs too.
    const tmp = await Deno.makeTempDir({ prefix: "fault-matrix-" });
    const bucketsBefore = await bucketNames();
    const objectsBefore = await itkitObjects();
    const run = await runDenoTest(["fault_matrix.ts"], {
      env: { ITKIT_FAULT: fault, TMPDIR: tmp },
      args: args ?? [],
    });
    // Every faulty test fails; every in-process check passes.
    assert.equal(run.failed, ran, run.output);
    assert.equal(run.passed, fault === "failfast" ? 0 : KINDS, run.output);
    const inProcess = [...run.output.matchAll(/^LEFTOVERS .*: (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(inProcess, 0, run.output);
    const dirs = await dirsUnder(tmp);
    await Deno.remove(tmp, { recursive: true });
    const buckets = await settle(bucketNames, bucketsBefore);
    const objects = await settle(itkitObjects, objectsBefore);
    assert.deepEqual({ dirs, buckets, objects }, {
      dirs: [],
      buckets: [],
      objects: [],
    });
  });
}

// Signals from outside at a random moment, over every fixture kind: the
// reaper (and the clone helper) remove everything, with no sweep. Each child
// runs in its own process group, with a private TMPDIR.
const signals: {
  fault: string;
  signal?: Deno.Signal;
  group?: boolean;
  timeout?: boolean;
}[] = [
  { fault: "SIGKILL of the test pid", signal: "SIGKILL" },
  { fault: "SIGINT to the process group", signal: "SIGINT", group: true },
  { fault: "SIGTERM to the process group", signal: "SIGTERM", group: true },
  { fault: "SIGKILL of the process group", signal: "SIGKILL", group: true },
  { fault: "GNU timeout", timeout: true },
];

async function killedRun(
  { signal, group, timeout }: (typeof signals)[number],
  env: Record<string, string>,
): Promise<string> {
  // GNU timeout counts from the start (Deno starts in about 0.5 s); the
  // others from when the module has loaded and its tests start.
  const moment = timeout
    ? 1_000 + Math.random() * 1_500
    : Math.random() * 1_500;
  await using run = await startInGroup(["fault_matrix.ts"], {
    env: { ITKIT_FAULT: "sleep", ...env },
    prefix: timeout ? ["timeout", (moment / 1000).toFixed(2)] : [],
  });
  if (signal) {
    await run.ready();
    await new Promise((resolve) => setTimeout(resolve, moment));
    run.kill(signal, group);
  }
  const { code, output, failed } = await run.finish();
  const what = `killed ${timeout ? "after" : "after READY +"} ${
    moment.toFixed(0)
  } ms:\n${output}`;
  // The kill landed while the tests ran (not after they had all passed).
  assert.notEqual(code, 0, what);
  assert.deepEqual(failed, [], what);
  return what;
}

for (const fault of signals) {
  Deno.test(`fault matrix: ${fault.fault} at a random moment leaves nothing behind, with no sweep`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "fault-matrix-" });
    try {
      const bucketsBefore = await bucketNames();
      const objectsBefore = await itkitObjects();
      const output = await killedRun(fault, { TMPDIR: tmp });
      assert.deepEqual(
        {
          dirs: await dirsUnder(tmp),
          buckets: (await bucketNames()).filter((b) =>
            !bucketsBefore.includes(b)
          ),
          objects: (await itkitObjects()).filter((o) =>
            !objectsBefore.includes(o)
          ),
        },
        { dirs: [], buckets: [], objects: [] },
        output,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("fault matrix: SIGKILL of the process group without a reaper leaves nothing after one sweep", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "fault-matrix-" });
  try {
    const bucketsBefore = await bucketNames();
    const objectsBefore = await itkitObjects();
    const output = await killedRun(
      { fault: "SIGKILL", signal: "SIGKILL", group: true },
      { TMPDIR: tmp, ITKIT_REAPER: "0" },
    );
    const report = await sweep({ olderThan: 0, tmpDir: tmp });
    assert.deepEqual(report.failed, [], output);
    // The clone helper drops its databases on its own, after the sweep looked.
    const objects = await settle(itkitObjects, objectsBefore);
    assert.deepEqual(
      {
        dirs: await dirsUnder(tmp),
        buckets: (await bucketNames()).filter((b) =>
          !bucketsBefore.includes(b)
        ),
        objects,
      },
      { dirs: [], buckets: [], objects: [] },
      output,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
