// The app under test as a fixture (appServer): started with the test's
// environment, its URL handed to the test, its output shown when the test
// fails, and stopped with the process it started on pass, failure, timeout
// and SIGKILL of the test process.
import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "../_shared/harness.ts";
import { startInGroup } from "../_shared/group.ts";
import { processRunning } from "../../src/run/_local_runs.ts";

/** The app's pid and its child's, from the test's PIDS line. */
function pids(output: string): number[] {
  const match = /^PIDS (\d+) (\d+)$/m.exec(output);
  assert.ok(match, `no PIDS line:\n${output}`);
  return [Number(match[1]), Number(match[2])];
}

function running(list: number[]): number[] {
  return list.filter((pid) => processRunning(pid));
}

Deno.test("appServer: the app gets the test's environment and port, and it and its child are gone when the test passes", async () => {
  const run = await runDenoTest(["app_server.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: { APP_CASE: "pass" },
  });
  expectRun(run, run.code === 0 && run.passed === 1, "the test passes");
  assert.deepEqual(running(pids(run.output)), [], run.output);
  assert.deepEqual(run.reaperFailed, []);
  // A passing test's app output is not printed.
  assert.doesNotMatch(run.output, /output of appServer fixture/);
});

Deno.test("appServer: a failing test shows the app's output, and the app and its child are gone", async () => {
  const run = await runDenoTest(["app_server.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: { APP_CASE: "fail" },
  });
  expectRun(run, run.failed === 1, "the test fails");
  assert.match(
    run.output,
    /itkit: output of appServer fixture "app" \(`\S+ run [^`]*_app\.ts`, pid \d+, ended by SIGTERM\):\napp starting on port \d+\n[\s\S]*app got \/marker-of-this-test/,
  );
  assert.deepEqual(running(pids(run.output)), [], run.output);
});

Deno.test("appServer: a test that runs out of time stops the app and its child, and shows the app's output", async () => {
  const run = await runDenoTest(["app_server.ts"], {
    env: { APP_CASE: "timeout" },
  });
  expectRun(run, run.failed === 1, "the test fails");
  assert.match(run.output, /Test timeout of 3000 ms exceeded in the body/);
  assert.match(run.output, /app got \/marker-of-this-test/);
  assert.deepEqual(running(pids(run.output)), [], run.output);
});

Deno.test("appServer: an app that ignores SIGTERM is killed, with its child, after stopTimeout", async () => {
  const run = await runDenoTest(["app_server.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: { APP_CASE: "fail", IGNORE_TERM: "1" },
  });
  expectRun(run, run.failed === 1, "the test fails");
  assert.match(run.output, /app ignores SIGTERM/);
  assert.match(run.output, /pid \d+, ended by SIGKILL\)/);
  assert.deepEqual(running(pids(run.output)), [], run.output);
});

Deno.test("appServer: an app that exits before it answers fails the setup with its exit code and output", async () => {
  const run = await runDenoTest(["app_server.ts"], {
    env: { APP_CASE: "crash" },
  });
  expectRun(run, run.failed === 1, "the test fails");
  assert.match(
    run.output,
    /Cannot start appServer fixture "app": `[^`]+_app\.ts` exited \(code 3\) before it answered on http:\/\/127\.0\.0\.1:\d+\/health; its output:\napp starting on port \d+\napp: cannot open the database \(on purpose\)/,
  );
});

Deno.test("appServer: SIGKILL of the test process: the reaper stops the app and its child", async () => {
  await using run = await startInGroup(["app_server.ts"], {
    env: { APP_CASE: "hang" },
  });
  await run.ready();
  run.kill("SIGKILL");
  const { output, failed } = await run.finish();
  const [app, child] = pids(output);
  assert.deepEqual(failed, []);
  assert.deepEqual(running([app!, child!]), [], output);
  const log = await Deno.readTextFile(run.log);
  assert.match(
    log,
    new RegExp(`removed process app \\S+.* \\(pid ${app}\\) \\(parent ended`),
    log,
  );
});
