// The fault matrix: every fault against every fixture kind, counting what is
// left afterwards, inside the test process and on the servers. Target: 0.
//
// The rows run at the same time, at module load, against private servers and
// private temp dirs (nothing else uses them, so anything left on them is the
// matrix's), then each Deno.test below reads its row's result.
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

/** Fixture dirs (`itkit-<run id>-<n>`) in `dir`. */
async function fixtureDirs(dir: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (/^itkit-[0-9a-z]{12,13}-\d+$/.test(entry.name)) dirs.push(entry.name);
  }
  return dirs;
}

const services = await provisionServices({ env: {} });
const s3 = s3Config(services.env);
const pg = postgresConfig(services.env);
const root = await Deno.makeTempDir({ prefix: "itkit-matrix-" });
const runs = new Map<string, DenoTestRun>();
let leftovers: string[] = [];
try {
  await Promise.all(faults.map(async ({ fault, args }) => {
    const tmp = `${root}/${fault}`;
    await Deno.mkdir(tmp);
    runs.set(
      fault,
      await runDenoTest(["fault_matrix.ts"], {
        env: { ...services.env, ITKIT_FAULT: fault, TMPDIR: tmp },
        args: args ?? [],
      }),
    );
  }));
  // Template databases are dropped by a helper after its process exits.
  for (let i = 0; i < 60; i++) {
    leftovers = [
      ...await listBuckets(s3),
      ...await listPostgresLeftovers(pg),
    ];
    for (const { fault } of faults) {
      const dirs = await fixtureDirs(`${root}/${fault}`);
      leftovers.push(...dirs.map((d) => `dir ${fault}/${d}`));
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
    const inProcess = [...run.output.matchAll(/^LEFTOVERS .*: (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(inProcess, 0, run.output);
  });
}

Deno.test("fault matrix: no fault leaves a dir, bucket, schema or database behind", () => {
  assert.deepEqual(leftovers, []);
});
