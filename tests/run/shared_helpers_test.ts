// Under `deno test --parallel` the files of a run are workers of one
// process: they share one reaper and one clone helper, and one template per
// migration; whatever ends the process, nothing is left, on the servers or in
// the temp dir.
import assert from "node:assert/strict";
import { startInGroup } from "../_shared/group.ts";
import { expectRun, markerFile, runDenoTest } from "../_shared/harness.ts";
import { bucketNames, itkitObjects } from "../_shared/services.ts";
import { waitForReapers } from "../../src/run/reaper.ts";

const FILES = ["a", "b", "c"].map((f) => `shared_helpers_${f}.ts`);
const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];

/**
 * A temp dir for a run's TMPDIR, removed after: on /dev/shm where there is
 * one, as CI-like setups put it (Deno grants paths under /dev only with
 * --allow-all: there, a helper with narrower permissions left its files).
 */
async function runTempDir(): Promise<{ path: string } & AsyncDisposable> {
  const shm = await Deno.stat("/dev/shm").then(
    (s) => s.isDirectory,
    () => false,
  );
  const path = await Deno.makeTempDir({
    prefix: "itkit-shared-",
    ...(shm ? { dir: "/dev/shm" } : {}),
  });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * What of the READY lines' resources is still there: temp dirs (and their
 * parents), buckets, databases, and any database of the clone helper's run
 * (its clones and templates, named with its run id).
 */
async function leftovers(ready: string[][]): Promise<string[]> {
  const left: string[] = [];
  const buckets = await bucketNames();
  const objects = await itkitObjects();
  for (const [file, dir, bucket, kept, cloned] of ready) {
    if (await exists(dir!)) left.push(`${file}: dir ${dir}`);
    if (await exists(dir!.replace(/\/[^/]+$/, ""))) {
      left.push(`${file}: dir's parent`);
    }
    if (buckets.includes(bucket!)) left.push(`${file}: bucket ${bucket}`);
    for (const db of [kept, cloned]) {
      if (objects.includes(`database ${db}`)) {
        left.push(`${file}: database ${db}`);
      }
    }
    const helperRun = /^itkit_([0-9a-z]+)_\d+$/.exec(cloned!)?.[1];
    assert.ok(helperRun, `no run id in ${cloned}`);
    for (const object of objects) {
      if (object.includes(`_${helperRun}_`)) left.push(`${file}: ${object}`);
    }
  }
  return left;
}

/** The entries of `dir`. */
async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("three files under --parallel share one reaper and one clone helper, migrate once per kind, and a file that ends has its resources removed while the others run", async () => {
  await using tmp = await runTempDir();
  await using marker = await markerFile();
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(FILES, {
      args: ["--parallel", ...SANITIZE],
      env: {
        DENO_JOBS: "3",
        TMPDIR: tmp.path,
        ITKIT_REAPER_LOG: log,
        ITKIT_SHARED_MARKER: marker.path,
      },
    });
    expectRun(run, run.code === 0 && run.passed === 3, "3 tests should pass");
    const report = await waitForReapers(log);
    const text = await Deno.readTextFile(log);
    assert.deepEqual(report.failed, [], text);
    const count = (pattern: RegExp) => [...text.matchAll(pattern)].length;
    assert.equal(count(/ reaper \d+ spawned /g), 1, text);
    assert.equal(count(/ helper \d+ spawned /g), 1, text);
    // One template per migration for the three files.
    assert.equal(
      run.output.match(/^MIGRATED truncate$/gm)?.length,
      1,
      run.output,
    );
    assert.equal(
      run.output.match(/^MIGRATED database$/gm)?.length,
      1,
      run.output,
    );
    // Files b and c saw what file a held removed while they ran.
    assert.match(run.output, /^SAW A GONE b$/m);
    assert.match(run.output, /^SAW A GONE c$/m);
    const ready = [...run.output.matchAll(/^READY (.*)$/gm)].map((m) =>
      m[1]!.split(" ")
    );
    assert.equal(ready.length, 3, run.output);
    assert.deepEqual(await leftovers(ready), []);
    // Nothing in the temp dir: no ready file, drops file, socket or marker.
    assert.deepEqual(await entries(tmp.path), []);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("a SIGKILL of a --parallel test process while its three files hold resources leaves nothing, on the servers or in the temp dir", async () => {
  await using tmp = await runTempDir();
  await using run = await startInGroup(FILES, {
    args: ["--parallel"],
    env: { ITKIT_HANG: "1", DENO_JOBS: "3", TMPDIR: tmp.path },
  });
  const ready = await run.readyLines(3);
  run.kill("SIGKILL");
  const { code, output, failed } = await run.finish();
  assert.notEqual(code, 0, output);
  assert.deepEqual(failed, [], output);
  const log = await Deno.readTextFile(run.log);
  assert.equal([...log.matchAll(/ reaper \d+ spawned /g)].length, 1, log);
  assert.equal([...log.matchAll(/ helper \d+ spawned /g)].length, 1, log);
  assert.deepEqual(await leftovers(ready), [], output);
  assert.deepEqual(await entries(tmp.path), []);
});

Deno.test("`cli.ts run` fails the run when a helper left its ready file, marker or socket directory in the temp dir", async () => {
  await using tmp = await runTempDir();
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  for (
    const [name, kind] of [
      ["ready-itkit-mxcfz6ij8fa4-PID", "file"],
      ["ready-drops-itkit-mxcfz6ij8fa4-PID", "file"],
      ["itkit-mxcfz6ij8fa4-PID", "directory"],
    ] as const
  ) {
    const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
    try {
      // A command that passes, whose (pretend) reaper said it exited but
      // left something of its test process's (this command's) in the temp
      // dir.
      const path = `${JSON.stringify(tmp.path)} + "/" + ${
        JSON.stringify(name)
      }.replace("PID", Deno.pid)`;
      const script = `
        const line = (text) => Deno.writeTextFileSync(${
        JSON.stringify(log)
      }, "2026-12-06T00:00:00.000Z " + text + "\\n", { append: true });
        line("reaper ${gone.pid} spawned (parent " + Deno.pid + ")");
        line("reaper ${gone.pid} exited: removed 0, failed 0");
        ${
        kind === "file"
          ? `Deno.writeTextFileSync(${path}, "");`
          : `Deno.mkdirSync(${path});`
      }`;
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "cli.ts",
          "run",
          "--",
          Deno.execPath(),
          "eval",
          script,
        ],
        env: { ITKIT_REAPER_LOG: log, NO_COLOR: "1", TMPDIR: tmp.path },
        stdout: "null",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 1, err);
      assert.match(
        err,
        new RegExp(
          `leftover check FAILED: .*\\n.*file ${tmp.path}/${
            name.replace("PID", "\\d+")
          } \\(a helper's`,
        ),
        err,
      );
    } finally {
      await Deno.remove(log).catch(() => {});
      for (const entry of await entries(tmp.path)) {
        await Deno.remove(`${tmp.path}/${entry}`, { recursive: true });
      }
    }
  }
});

Deno.test("a command that a test runs and that waits for the reapers of the run's log (a nested `cli.ts run`) does not wait for the test process's reaper, which ends after it", async () => {
  const run = await runDenoTest(["waits_for_reapers.ts"], { args: SANITIZE });
  expectRun(run, run.code === 0 && run.passed === 1, "the test should pass");
  const report = /^REPORT (.*)$/m.exec(run.output)?.[1];
  assert.ok(report, run.output);
  assert.deepEqual(JSON.parse(report), { failed: [], removed: 0, running: [] });
});
