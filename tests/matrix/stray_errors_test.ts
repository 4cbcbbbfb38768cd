// Stray errors (rejections nobody handles, errors thrown from timers) with
// standalone fixtures in plain Deno.test. The phases of integration tests are
// in the fault matrix.
import assert from "node:assert/strict";
import { runDenoTest } from "../_shared/harness.ts";

const run = await runDenoTest(["standalone_strays.ts"], {
  args: ["--sanitize-ops", "--sanitize-resources"],
});

Deno.test("a stray error beside a standalone fixture fails that test and the module goes on", () => {
  assert.doesNotMatch(run.output, /Uncaught error from|cancelled/, run.output);
  assert.equal(run.failed, 5, run.output);
  assert.equal(run.passed, 1, run.output);
  for (
    const [test, stray] of [
      ["stray in the body", "stray rejection in the body"],
      ["stray in the same turn as a throw", "stray rejection beside a throw"],
      ["stray from a timer", "thrown from a timer"],
      ["stray in a fixture's setup", "stray rejection in setup"],
      ["stray in a fixture's disposal", "stray rejection in disposal"],
    ]
  ) {
    assert.match(
      run.output,
      new RegExp(`standalone: ${test} \\.\\.\\. FAILED`),
      run.output,
    );
    assert.match(
      run.output,
      new RegExp(
        `unhandled error while standalone fixture (tmpDir|stray) was in use: ${stray}`,
      ),
      run.output,
    );
  }
});

Deno.test("every standalone fixture is disposed despite the stray error", () => {
  assert.equal([...run.output.matchAll(/^GONE /gm)].length, 5, run.output);
  assert.doesNotMatch(run.output, /^LEFT /m);
});

Deno.test("a body that hangs after a stray error is abandoned after the grace period or the timeout, with cleanup", async () => {
  const hang = await runDenoTest(["stray_hang.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
  });
  assert.equal(hang.failed, 2, hang.output);
  assert.equal(hang.passed, 2, hang.output);
  assert.match(
    hang.output,
    /UncaughtInTestError: unhandled error during test "hangs after a stray rejection": stray before a hang/,
  );
  assert.match(
    hang.output,
    /2 failures in "hangs after a stray rejection, with a timeout":\n {2}1\. unhandled error during test "hangs after a stray rejection, with a timeout": stray before a timed-out hang\n {2}2\. Test timeout of 1000 ms exceeded in the body/,
  );
  assert.match(hang.output, /LATER RAN/);
  const dirs = [...hang.output.matchAll(/^DIR (.+)$/gm)].map((m) => m[1]);
  assert.equal(dirs.length, 2, hang.output);
  for (const dir of dirs) {
    await assert.rejects(() => Deno.stat(dir!), Deno.errors.NotFound);
  }
});
