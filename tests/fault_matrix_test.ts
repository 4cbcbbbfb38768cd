// The fault matrix: every fault against every fixture kind, counting what is
// left afterwards, inside the test process and on the servers. Target: 0.
import assert from "node:assert/strict";
import { runDenoTest } from "./_harness.ts";
import { bucketNames, itkitObjects } from "./_services.ts";

const KINDS = 8;

/** What a run left in its own temp dir (the machine's is shared). */
async function leftIn(tmp: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(tmp)) names.push(entry.name);
  return names;
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
  { fault: "stray-setup", ran: KINDS },
  { fault: "stray-timer", ran: KINDS },
  { fault: "stray-same-turn", ran: KINDS },
  { fault: "stray-step", ran: KINDS },
  { fault: "stray-disposal", ran: KINDS },
  { fault: "stray-timeout", ran: KINDS },
  { fault: "failfast", args: ["--fail-fast"], ran: 1 },
];

for (const { fault, args, ran } of faults) {
  Deno.test(`fault matrix: ${fault} leaves nothing behind for any fixture kind`, async () => {
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
          /unhandled error during test "(.+?) under [^"]+"/g,
        )].map((m) => m[1]),
      );
      assert.equal(named.size, KINDS, run.output);
    }
    const inProcess = [...run.output.matchAll(/^LEFTOVERS .*: (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(inProcess, 0, run.output);
    const dirs = await leftIn(tmp);
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
