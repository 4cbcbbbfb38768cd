import assert from "node:assert/strict";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";

Deno.test("a probe still running when the module finishes loading fails loudly", async () => {
  const run = await runDenoTest(["late.ts"]);
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /Probe check slow service was still running when the test module finished loading\. Await probes at the top level/,
  );
});

Deno.test("registering from a timer after module load fails loudly", async () => {
  const run = await runDenoTest(["late_timer.ts"]);
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /Cannot register integration test "registered from a timer": the test module has already finished loading, and Deno would silently drop a test registered now/,
  );
});

Deno.test("registering from inside a running test fails that test", async () => {
  const run = await runDenoTest(["late_in_body.ts"]);
  expectRun(run, run.code !== 0, "the run must fail");
  assert.equal(run.failed, 1);
  assert.match(
    run.output,
    /Cannot register integration test "registered from a test body"/,
  );
});

Deno.test("passing an unawaited probe to requires is a TypeError at load", async () => {
  const run = await runDenoTest(["pending_requires.ts"], {
    env: { ITKIT_TEST_PORT: String(closedPort()) },
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /TypeError: Cannot register integration test "forgot to await the probe": requires\[0\] is a Promise; await the probe at the top level/,
  );
});
