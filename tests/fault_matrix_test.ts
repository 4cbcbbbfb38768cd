// The fault matrix: every fault against every fixture kind, counting what is
// left afterwards, inside the test process and on the servers. Target: 0.
//
// The rows run a few at a time, at module load, against private servers and
// each in a private temp dir (nothing else uses them, so anything left on them
// is the matrix's); then each Deno.test below reads its row's result.
import assert from "node:assert/strict";
import { type DenoTestRun, runDenoTest } from "./_harness.ts";
import {
  listBuckets,
  listPostgresLeftovers,
  provisionServices,
} from "../services.ts";
import { s3Config } from "../s3.ts";
import { postgresConfig } from "../postgres.ts";

const KINDS = 8;
/** Rows running at once: enough to overlap their waits on 2 cores. */
const AT_ONCE = 5;

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
const runs = new Map<string, DenoTestRun>();
let leftovers: string[] = [];
try {
  const queue = [...faults];
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const tmp = `${root}/${row.fault}`;
        await Deno.mkdir(tmp);
        runs.set(
          row.fault,
          await runDenoTest(["fault_matrix.ts"], {
            env: { ...services.env, ITKIT_FAULT: row.fault, TMPDIR: tmp },
            args: row.args ?? [],
          }),
        );
      }
    }),
  );
  // Template databases are dropped by a helper after its process exits.
  for (let i = 0; i < 60; i++) {
    leftovers = [
      ...await listBuckets(s3),
      ...await listPostgresLeftovers(pg),
    ];
    for (const { fault } of faults) {
      const names = await leftIn(`${root}/${fault}`);
      leftovers.push(
        ...names.map((name) => `${fault}: ${root}/${fault}/${name}`),
      );
    }
    if (leftovers.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
} finally {
  await services.close();
  await Deno.remove(root, { recursive: true });
}

for (const { fault, ran } of faults) {
  Deno.test(`fault matrix: ${fault} fails the faulty tests and leaves the process clean`, () => {
    const run = runs.get(fault)!;
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
  });
}

Deno.test("fault matrix: no fault leaves a dir, bucket, schema or database behind", () => {
  assert.deepEqual(leftovers, []);
});
