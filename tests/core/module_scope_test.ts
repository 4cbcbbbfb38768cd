// Module-scoped fixtures, observed through `deno test` runs of
// tests/core/testdata/module_scope.ts with sanitizers on: set up once, shared, disposed
// after the last test or before the process ends, failures reported on each
// user.
import assert from "node:assert/strict";
import {
  type DenoTestRun,
  expectRun,
  markerFile,
  runDenoTest,
} from "../_shared/harness.ts";
import { bucketNames, itkitObjects } from "../_shared/services.ts";

const SANITIZERS = ["--sanitize-ops", "--sanitize-resources"];

async function run(
  variant: string,
  args: string[] = [],
): Promise<{ run: DenoTestRun; marks: string[] }> {
  await using marker = await markerFile();
  const result = await runDenoTest(["module_scope.ts"], {
    args: [...SANITIZERS, ...args],
    env: { ITKIT_VARIANT: variant, ITKIT_MARKER: marker.path },
  });
  return { run: result, marks: await marker.lines() };
}

function portOf(run: DenoTestRun, which: string): number {
  const port = new RegExp(`${which} PORT (\\d+)`).exec(run.output)?.[1];
  expectRun(run, port !== undefined, `no ${which} PORT line`);
  return Number(port);
}

Deno.test("a module-scoped fixture is set up once for all its tests and disposed after the last", async () => {
  const { run: r, marks } = await run("ok");
  expectRun(r, r.code === 0, "the run should pass with sanitizers on");
  assert.deepEqual(marks, ["setup", "dispose"]);
  // Both users talked to the same server, whose socket the process no
  // longer holds after the module's fixtures were disposed (checked in the
  // process: it found the socket while the server ran).
  assert.equal(portOf(r, "FIRST"), portOf(r, "SECOND"));
  assert.match(r.output, /APP LISTENER HELD true/);
  assert.match(r.output, /APP LISTENER LEFT false/);
  // Set up before the first test and disposed after the last by Deno's
  // hooks: the count is the user's four tests, with sanitizers on.
  assert.doesNotMatch(
    r.output,
    /set up module fixture|dispose module fixtures/,
  );
  assert.equal(r.passed, 4);
});

Deno.test("a module-scoped fixture adds no test to the count when a filter selects one user", async () => {
  const { run: r, marks } = await run("ok", ["--filter", "second user"]);
  expectRun(
    r,
    r.code === 0 && r.passed === 1 && r.filtered === 3,
    "the selected user alone runs and passes, sanitizers on",
  );
  assert.deepEqual(marks, ["setup", "dispose"]);
});

Deno.test("a module-scoped fixture adds no test to the count when the first user fails", async () => {
  const { run: r, marks } = await run("first-fails");
  expectRun(
    r,
    r.passed === 3 && r.failed === 1,
    "the first user fails, the others pass",
  );
  assert.match(r.output, /\[integration\] first user \.\.\. FAILED/);
  assert.deepEqual(marks, ["setup", "dispose"]);
});

Deno.test("a module-scoped fixture's cleanup failure fails the run, naming it", async () => {
  const { run: r, marks } = await run("dispose-fails");
  expectRun(
    r,
    r.code !== 0 && r.passed === 4 && r.failed === 1,
    "the users pass; the module fails",
  );
  assert.match(
    r.output,
    /fixture "backend" \(shared\) failed to clean up: the backend did not stop/,
  );
  assert.deepEqual(marks, ["setup", "dispose"]);
});

Deno.test("a module-scoped fixture is disposed when its last user does not run", async () => {
  const { run: r, marks } = await run("last-ignored");
  expectRun(r, r.code === 0 && r.ignored === 1, "one ignored, the rest pass");
  assert.deepEqual(marks, ["setup", "dispose"]);
});

Deno.test("with --fail-fast, a module-scoped fixture is still disposed before the process ends", async () => {
  const { run: r, marks } = await run("first-fails", ["--fail-fast"]);
  expectRun(
    r,
    r.code !== 0 && r.failed === 1,
    "the first user fails and stops the run",
  );
  assert.deepEqual(marks, ["setup", "dispose"]);
});

Deno.test("a module-scoped fixture's setup failure fails each user, naming it, without a retry", async () => {
  const { run: r, marks } = await run("setup-fails");
  assert.deepEqual(marks, ["setup"]);
  expectRun(r, r.failed === 3, "the 3 users fail");
  for (const name of ["first user", "second user", "last user"]) {
    assert.match(
      r.output,
      new RegExp(`\\[integration\\] ${name} \\.\\.\\. FAILED`),
    );
  }
  const named = r.output.match(
    /fixture "backend" \(shared\) failed to set up: the backend did not start/g,
  ) ?? [];
  expectRun(
    r,
    named.length >= 3,
    `the error names the fixture in each failure (${named.length})`,
  );
  assert.match(r.output, /does not use it \.\.\. ok/);
});

Deno.test("a module-scoped fixture whose service is down ignores its users with the reason", async () => {
  const { run: r, marks } = await run("down");
  assert.deepEqual(marks, []);
  expectRun(
    r,
    r.code === 0 && r.ignored === 3 && r.passed === 1,
    "the 3 users are ignored",
  );
  assert.match(
    r.output,
    /\[integration\] first user \(ignored: backend 127\.0\.0\.1:1: connection refused 127\.0\.0\.1:1\)/,
  );
});

Deno.test("a module-scoped database and bucket are shared by the module's tests and removed after them", async () => {
  const r = await runDenoTest(["module_scope_services.ts"], {
    args: SANITIZERS,
  });
  expectRun(r, r.code === 0 && r.passed === 2, "both pass, sanitizers on");
  const [, schema, bucket] = /SCHEMA (\S+) BUCKET (\S+)/.exec(r.output) ?? [];
  expectRun(r, schema !== undefined, "no SCHEMA line");
  assert.ok(!(await bucketNames()).includes(bucket!), `bucket ${bucket} left`);
  assert.ok(
    !(await itkitObjects()).some((o) => o.includes(schema!)),
    `schema ${schema} left`,
  );
});
