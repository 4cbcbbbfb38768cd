import assert from "node:assert/strict";
import { expectRun, markerFile, runDenoTest } from "../_shared/harness.ts";

await using marker = await markerFile();
const run = await runDenoTest(["cleanup.ts"], {
  env: { ITKIT_MARKER: marker.path },
});
const lines = await marker.lines();

/** The marker lines of one test, by its fixtures' name prefix. */
function linesOf(prefix: string): string[] {
  return lines.filter((line) => line.split(" ")[1]!.startsWith(prefix));
}

Deno.test("the fault suite fails as a whole and passes its healthy test", () => {
  expectRun(run, run.code !== 0, "the run must fail");
  assert.equal(run.failed, 8, run.output);
  assert.equal(run.passed, 1, run.output);
});

Deno.test("fixtures are disposed in reverse order after a throw", () => {
  assert.deepEqual(linesOf("t1"), [
    "setup t1a",
    "setup t1b",
    "cleanup t1b",
    "cleanup t1a",
  ]);
  assert.match(run.output, /Error: boom in body/);
});

Deno.test("fixtures are disposed after a failed assertion", () => {
  assert.deepEqual(linesOf("t2"), [
    "setup t2a",
    "setup t2b",
    "cleanup t2b",
    "cleanup t2a",
  ]);
  assert.match(run.output, /AssertionError/);
});

Deno.test("step and test fixtures are disposed after a failed step", () => {
  assert.deepEqual(linesOf("t3"), [
    "setup t3a",
    "setup t3s",
    "note t3s in step",
    "cleanup t3s",
    "cleanup t3a",
  ]);
  assert.match(run.output, /bad step \.\.\. FAILED/);
});

Deno.test("a setup failure at fixture 2 of 3 disposes fixture 1 and skips the body", () => {
  assert.deepEqual(linesOf("t4"), [
    "setup t4a",
    "setup-failed t4b",
    "cleanup t4a",
  ]);
  assert.doesNotMatch(run.output, /BODY RAN t4/);
  assert.match(
    run.output,
    /fixture "t4b" \(recorder\) failed to set up: recorder t4b refused to start/,
  );
});

Deno.test("a failing cleanup does not stop the others and names its fixture", () => {
  assert.deepEqual(linesOf("t5"), [
    "setup t5a",
    "setup t5b",
    "setup t5c",
    "cleanup t5c",
    "cleanup t5b",
    "cleanup t5a",
  ]);
  assert.match(
    run.output,
    /fixture "t5b" \(recorder\) failed to clean up: recorder t5b could not clean up/,
  );
});

Deno.test("a body error and two cleanup errors are reported together", () => {
  assert.deepEqual(linesOf("t6"), [
    "setup t6a",
    "setup t6b",
    "setup t6c",
    "cleanup t6c",
    "cleanup t6b",
    "cleanup t6a",
  ]);
  assert.match(run.output, /3 failures in "fails two cleanups after a throw"/);
  assert.match(run.output, /1\. boom before cleanup/);
  assert.match(run.output, /2\. fixture "t6c" \(recorder\) failed to clean up/);
  assert.match(run.output, /3\. fixture "t6a" \(recorder\) failed to clean up/);
});

Deno.test("a toolkit timeout aborts the signal and disposes every fixture", () => {
  assert.deepEqual(linesOf("t7"), [
    "setup t7a",
    "setup t7b",
    "cleanup t7b",
    "cleanup t7a",
  ]);
  assert.match(run.output, /SIGNAL ABORTED t7/);
  assert.match(run.output, /Test timeout of 300 ms exceeded in the body/);
});

Deno.test("a timeout inside a step disposes the step's fixtures too", () => {
  assert.deepEqual(linesOf("t8"), [
    "setup t8a",
    "setup t8s",
    "cleanup t8s",
    "cleanup t8a",
  ]);
  assert.match(
    run.output,
    /Test timeout of 300 ms exceeded in step "/,
  );
});

Deno.test("step-scoped fixtures are fresh for each step", () => {
  assert.deepEqual(linesOf("t9"), [
    "setup t9a",
    "note t9a body",
    "setup t9s",
    "note t9s step one",
    "cleanup t9s",
    "setup t9s",
    "note t9s step two",
    "cleanup t9s",
    "cleanup t9a",
  ]);
  assert.match(run.output, /\[integration\] passes \.\.\. ok/);
});
