// The reaper: whatever happens to the test process, every temp dir, bucket,
// schema and cloned database its fixtures created is removed, without a
// sweep (dirs and buckets by the reaper, schemas and databases by the
// PostgreSQL helper it waits for), and the reaper's log says what it did.
import assert from "node:assert/strict";
import { startInGroup } from "../_shared/group.ts";
import {
  bucketNames,
  itkitObjects,
  removeBucket,
} from "../_shared/services.ts";
import {
  closedPort,
  expectRun,
  runDenoTest,
  runInlineTest,
} from "../_shared/harness.ts";
import { waitForReapers } from "../../src/run/reaper.ts";
import { processRunning } from "../../src/run/_local_runs.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** What of `dir bucket schema database` is still there. */
async function leftovers(
  [dir, bucket, schema, database]: string[],
): Promise<string[]> {
  const left: string[] = [];
  if (await exists(dir!)) left.push(`dir ${dir}`);
  if (await exists(dir!.replace(/\/[^/]+$/, ""))) left.push("dir's parent");
  if ((await bucketNames()).includes(bucket!)) left.push(`bucket ${bucket}`);
  const objects = await itkitObjects();
  if (objects.includes(`schema ${schema}`)) left.push(`schema ${schema}`);
  if (objects.includes(`database ${database}`)) {
    left.push(`database ${database}`);
  }
  return left;
}

Deno.test("reaper: a passing run hands its removals off and leaves nothing; the log says what was removed", async () => {
  await using run = await startInGroup(["reaper_hang.ts"]);
  const created = await run.ready();
  const { code, output, failed } = await run.finish();
  assert.equal(code, 0, output);
  assert.deepEqual(failed, []);
  assert.deepEqual(await leftovers(created), []);
  const log = await Deno.readTextFile(run.log);
  for (const what of [`dir ${created[0]}`, `bucket ${created[1]}`]) {
    assert.match(log, new RegExp(`removed ${what} \\(handed off`), log);
  }
  // Schemas and databases are the PostgreSQL helper's: the reaper waits for it.
  assert.match(log, /helper \d+ ended/);
  assert.match(log, /exited: removed \d+, failed 0/);
});

for (
  const [fault, signal, group] of [
    ["SIGKILL of the test pid", "SIGKILL", false],
    ["SIGINT to the process group", "SIGINT", true],
    ["SIGTERM to the process group", "SIGTERM", true],
  ] as const
) {
  Deno.test(`reaper: ${fault} mid-test leaves nothing, with no sweep`, async () => {
    await using run = await startInGroup(["reaper_hang.ts"], {
      env: { ITKIT_HANG: "1" },
    });
    const created = await run.ready();
    run.kill(signal, group);
    const { code, output, failed } = await run.finish();
    assert.notEqual(code, 0, output);
    assert.deepEqual(failed, []);
    assert.deepEqual(await leftovers(created), [], output);
  });
}

Deno.test("reaper: GNU timeout (SIGTERM to the group) mid-test leaves nothing", async () => {
  await using run = await startInGroup(["reaper_hang.ts"], {
    env: { ITKIT_HANG: "1" },
    prefix: ["timeout", "600"],
  });
  const created = await run.ready();
  // Its time is up now (SIGALRM is how GNU timeout's own timer ends): it
  // sends SIGTERM to the group and exits 124. A fixed duration would have
  // to outlast start-up on a loaded machine.
  run.kill("SIGALRM");
  const { code, output, failed } = await run.finish();
  assert.equal(code, 124, output);
  assert.deepEqual(failed, []);
  assert.deepEqual(await leftovers(created), [], output);
});

Deno.test("reaper: turned off (ITKIT_REAPER=0), fixtures clean up inline", async () => {
  await using run = await startInGroup(["reaper_hang.ts"], {
    env: { ITKIT_REAPER: "0" },
  });
  const created = await run.ready();
  // finish() waits until the clone helper, which drops the cloned database
  // after the test process by design, has said it exited and is gone.
  const { code, output, failed } = await run.finish();
  assert.equal(code, 0, output);
  assert.deepEqual(failed, []);
  assert.deepEqual(await leftovers(created), []);
  const log = await Deno.readTextFile(run.log);
  assert.doesNotMatch(log, / reaper \d+ /, "no reaper ran");
  assert.match(log, / helper \d+ started \(parent \d+\)\n/, log);
  assert.match(log, / helper \d+ exited\n/, log);
});

Deno.test("reaper: declared buckets and temp dirs are made ahead; one no test took is removed at exit", async () => {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(["reaper_ahead.ts"], {
      // Sanitizers on: taking a resource made ahead leaves no op pending.
      args: ["--filter", "taken", "--sanitize-ops", "--sanitize-resources"],
      env: { ITKIT_REAPER_LOG: log },
    });
    assert.equal(run.code, 0, run.output);
    assert.equal(run.passed, 2, run.output);
    assert.equal(run.filtered, 1, run.output);
    const report = await waitForReapers(log);
    assert.deepEqual(report.failed, []);
    const text = await Deno.readTextFile(log);
    // Each creation ahead succeeded (its budget starts once its module is
    // loaded: a cold cache does not time it out).
    assert.doesNotMatch(text, / could not create /, text);
    const made = [...run.output.matchAll(/^MADE (\S+) (\S+)$/gm)];
    assert.equal(made.length, 2, run.output);
    for (const [, dir, bucket] of made) {
      // The test got what the reaper had made, and handed it back.
      for (const what of [`dir ${dir}`, `bucket ${bucket}`]) {
        assert.match(text, new RegExp(`created ${what} \\(ahead`), text);
        assert.match(text, new RegExp(`removed ${what} \\(handed off`), text);
      }
      assert.equal(await exists(dir!), false, `dir ${dir} left`);
    }
    // Three of each made; the untaken ones removed when the process ended.
    const count = (re: RegExp) => [...text.matchAll(re)].length;
    assert.equal(count(/created bucket \S+ \(ahead/g), 3, text);
    assert.equal(count(/removed bucket \S+ \(parent ended/g), 1, text);
    assert.equal(count(/created dir \S+ \(ahead/g), 3, text);
    const names = [...text.matchAll(/created bucket (\S+) \(ahead/g)].map((
      m,
    ) => m[1]!);
    const left = await bucketNames();
    assert.deepEqual(names.filter((name) => left.includes(name)), []);
    for (const [, dir] of text.matchAll(/created dir (\S+) \(ahead/g)) {
      assert.equal(await exists(dir!), false, `dir ${dir} left`);
    }
    // The ready file the reaper wrote to is gone with it.
    const parent = /started \(parent (\d+)\)/.exec(text)?.[1];
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    const readyFiles = [...Deno.readDirSync(tmp)].filter((e) =>
      e.name.startsWith("ready-itkit-") && e.name.endsWith(`-${parent}`)
    );
    assert.deepEqual(readyFiles, []);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("reaper: a store that refuses costs one creation ahead, not one per test, and nothing is left to fail", async () => {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(["reaper_ahead.ts"], {
      env: {
        ITKIT_REAPER_LOG: log,
        S3_ENDPOINT: `http://127.0.0.1:${closedPort()}`,
      },
    });
    // The tests' own CreateBucket fails: each test fails, naming the store.
    assert.equal(run.failed, 3, run.output);
    assert.match(
      run.output,
      /Cannot create bucket "itkit-[^"]+" at http:\/\/127\.0\.0\.1:\d+/,
    );
    const report = await waitForReapers(log);
    assert.deepEqual(report.failed, []);
    const text = await Deno.readTextFile(log);
    const tries = [...text.matchAll(/could not create bucket \S+ ahead: (.*)/g)]
      .map((m) => m[1]!);
    assert.equal(tries.length, 3, text);
    assert.equal(tries.filter((t) => t.startsWith("Error: skipped")).length, 2);
    // The temp dirs were made ahead and removed all the same.
    assert.equal([...text.matchAll(/created dir \S+ \(ahead/g)].length, 3);
    assert.match(text, /exited: removed \d+, failed 0/);
  } finally {
    await Deno.remove(log);
  }
});

/**
 * A loopback proxy to the run's S3 store that takes the first connection
 * creating a test bucket (not the run's lease bucket, `…-0`) and never
 * answers on it (a store slow once), and passes everything else on.
 */
function stallFirstConnection(): { endpoint: string } & AsyncDisposable {
  const target = new URL(Deno.env.get("S3_ENDPOINT")!);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const piping: Promise<unknown>[] = [];
  let stalled = false;
  // Each request the client sends starts a chunk (the SDK writes a request
  // at once, and reuses connections): the first one creating a test bucket
  // is held, with everything after it on that connection.
  const handle = async (conn: Deno.Conn): Promise<void> => {
    const upstream = await Deno.connect({
      hostname: target.hostname,
      port: Number(target.port),
    });
    conns.push(upstream);
    piping.push(upstream.readable.pipeTo(conn.writable).catch(() => {}));
    const writer = upstream.writable.getWriter();
    let held = false;
    try {
      for await (const chunk of conn.readable) {
        const line = new TextDecoder().decode(chunk.subarray(0, 200))
          .split("\r\n")[0] ?? "";
        if (!stalled && /^PUT \/itkit-[0-9a-z]+-[1-9]\d*\/? /.test(line)) {
          stalled = held = true; // never answered: read on, pass nothing
        }
        if (!held) await writer.write(chunk);
      }
    } finally {
      writer.releaseLock();
    }
  };
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        conns.push(conn);
        piping.push(handle(conn).catch(() => {}));
      }
    } catch { /* closed */ }
  })();
  return {
    endpoint: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async [Symbol.asyncDispose](): Promise<void> {
      listener.close();
      await loop;
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by its pipe */ }
      }
      await Promise.all(piping);
    },
  };
}

Deno.test("reaper: a creation ahead that runs out of time does not keep the store's later ones from being tried", async () => {
  // The first bucket's CreateBucket is never answered: it times out (after
  // 10 s); the store was only slow, so the next two are made. No test runs
  // (all filtered out): the process ends at once, and its reaper finishes
  // the creations, then removes what it made.
  await using proxy = stallFirstConnection();
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(["reaper_ahead.ts"], {
      args: ["--filter", "no test has this name"],
      env: { ITKIT_REAPER_LOG: log, S3_ENDPOINT: proxy.endpoint },
    });
    assert.equal(run.code, 0, run.output);
    await waitForReapers(log);
    const text = await Deno.readTextFile(log);
    const failed = [...text.matchAll(/could not create bucket \S+ ahead: .*/g)];
    assert.equal(failed.length, 1, text);
    assert.doesNotMatch(text, /ahead: Error: skipped/, text);
    assert.equal(
      [...text.matchAll(/created bucket \S+ \(ahead/g)].length,
      2,
      text,
    );
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("reaper: removes what a run left although the run's working directory is gone", async () => {
  // The run's test removes its own working directory (a throwaway checkout
  // that a CI script removes as soon as `deno test` returns); its migrated
  // schema is the reaper's to drop after the process ends. The run is short:
  // its reaper may not have written a line when it ends, and waiting for the
  // reapers must still wait for it.
  const cwd = await Deno.makeTempDir({ prefix: "itkit-cwd-" });
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(["cwd_removed.ts"], {
      cwd,
      env: { RUN_DIR: cwd, ITKIT_REAPER_LOG: log },
    });
    expectRun(run, run.code === 0 && run.passed === 1, "the test passes");
    const report = await waitForReapers(log);
    const text = await Deno.readTextFile(log);
    assert.deepEqual(report.failed, [], text);
    const schema = /^SCHEMA (\S+)$/m.exec(run.output)?.[1];
    assert.ok(schema, run.output);
    assert.match(text, new RegExp(`removed schema ${schema} in postgres`));
    assert.ok(!(await itkitObjects()).includes(`schema ${schema}`), schema);
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
    await Deno.remove(log);
  }
});

Deno.test("reaper: killed while its tests run, it is reported (the test that notices fails with its log) and fixtures clean up themselves", async () => {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runDenoTest(["reaper_killed.ts"], {
      env: { ITKIT_REAPER_LOG: log },
    });
    expectRun(
      run,
      run.failed === 1 && run.passed === 1,
      "the first test fails, the second passes",
    );
    assert.match(
      run.output,
      /the reaper is killed during this test .*\n[^]*ReaperError: the reaper \(pid \d+\) was killed by SIGKILL while this test process was running; .* its log: /,
    );
    assert.ok(run.output.includes(`its log: ${log}`), run.output);
    // The run's reaper report says so too (what `cli.ts run` fails on).
    const { failed } = await waitForReapers(log);
    assert.equal(failed.length, 1, failed.join("\n"));
    assert.match(
      failed[0]!,
      /reaper \d+ FAILED: the reaper \(pid \d+\) was killed/,
    );
    // The run's S3 lease was the reaper's to refresh and remove: it is named
    // among what the dead reaper held, and left (the sweep takes it once it
    // expires). This test removes it.
    const lease = /lease of run \S+ on s3 \S+ \((itkit-\S+-0)\)/.exec(
      run.output,
    )?.[1];
    assert.ok(lease, run.output);
    await removeBucket(lease);
    // The dead reaper's ready file is removed by its parent as it ends.
    const parent = / process (\d+) starts its reaper/.exec(
      await Deno.readTextFile(log),
    )?.[1];
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    assert.deepEqual(
      [...Deno.readDirSync(tmp)].filter((e) =>
        e.name.startsWith("ready-itkit-") && e.name.endsWith(`-${parent}`)
      ).map((e) => e.name),
      [],
    );
    const held = [...run.output.matchAll(/^HELD (\S+) (\S+)$/gm)];
    assert.equal(held.length, 2, run.output);
    const buckets = await bucketNames();
    for (const [, dir, bucket] of held) {
      assert.equal(await exists(dir!), false, `dir ${dir} left`);
      assert.equal(await exists(dir!.replace(/\/[^/]+$/, "")), false);
      assert.ok(!buckets.includes(bucket!), `bucket ${bucket} left`);
    }
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("reaper: `cli.ts run` fails the run when a reaper could not remove something or a reaper or clone helper ended early, naming the log", async () => {
  // A pid that ran and is gone: its (pretend) reaper or helper never said it
  // exited.
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  for (
    const line of [
      `reaper ${gone.pid} FAILED to remove bucket itkit-x (parent ended): NetworkingError`,
      `reaper ${gone.pid} spawned (parent 2)`,
      `helper ${gone.pid} spawned (parent 2)`,
      `helper ${gone.pid} started (parent 2)`,
    ]
  ) {
    const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
    try {
      // A command that passes, whose (pretend) reaper failed.
      const script = `Deno.writeTextFileSync(${
        JSON.stringify(log)
      }, "2026-12-06T00:00:00.000Z " + ${
        JSON.stringify(line)
      } + "\\n", { append: true })`;
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
        env: { ITKIT_REAPER_LOG: log, NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 1, err);
      assert.match(
        err,
        new RegExp(`itkit: reaper: .*(reaper|helper) ${gone.pid} FAILED`),
      );
      assert.ok(err.includes(`log: ${log} (the run fails`), err);
    } finally {
      await Deno.remove(log).catch(() => {});
    }
  }
});

Deno.test("reaper: waiting for the reapers waits for the clone helper of a process killed right after starting it", async () => {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runInlineTest({
      "clone_helper_killed.ts":
        `// A module whose database-isolated test starts the clone helper as it loads,
// then is killed (SIGKILL) at once, before the helper has run a line of its
// own: whoever waits for the run's reapers must still wait for the helper.
import { integration } from "@itkit/core";
import { postgresDatabase } from "@itkit/core/postgres";

integration("never runs", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
}, () => {});

Deno.kill(Deno.pid, "SIGKILL");
`,
    }, {
      env: { ITKIT_REAPER_LOG: log },
    });
    assert.notEqual(run.code, 0, run.output);
    const report = await waitForReapers(log);
    const text = await Deno.readTextFile(log);
    assert.deepEqual(report.failed, [], text);
    // Noted by the test process as it spawned it: waited for until it said
    // it exited and was gone.
    const pid = / helper (\d+) spawned \(parent \d+\)\n/.exec(text)?.[1];
    assert.ok(pid, text);
    assert.match(text, new RegExp(` helper ${pid} exited\n`), text);
    assert.equal(processRunning(Number(pid)), false, "still running");
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("reaper: waiting for the reapers lasts until each is gone, not only until its exited line", async () => {
  // A pretend reaper (its command line names _reaper_main.ts) that says it
  // started and exited, then holds on for 2 s (the real one still holds its
  // ready file and log then: a tmpfs under them cannot be unmounted yet).
  const dir = await Deno.makeTempDir({ prefix: "itkit-test-reaper-" });
  const log = `${dir}/reaper.log`;
  try {
    await Deno.writeTextFile(
      `${dir}/_reaper_main.ts`,
      `const line = (what: string) => Deno.writeTextFileSync(Deno.args[0]!,
        new Date().toISOString() + " reaper " + Deno.pid + " " + what + "\\n",
        { append: true });
      line("started (parent " + Deno.ppid + ")");
      line("exited: removed 0, failed 0");
      await new Promise((resolve) => setTimeout(resolve, 2_000));`,
    );
    const reaper = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/_reaper_main.ts`, log],
    }).spawn();
    try {
      while (!/ exited: /.test(await Deno.readTextFile(log).catch(() => ""))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const report = await waitForReapers(log);
      assert.equal(processRunning(reaper.pid), false, "returned while it ran");
      // Its `exited: removed 0` line is no removal.
      assert.deepEqual(report, { failed: [], removed: 0, running: [] });
    } finally {
      await reaper.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
