// The default budget of integration tests: a test that hangs (a timer that
// never fires, a fixture whose setup or cleanup never ends, a step that never
// ends) fails within ITKIT_TIMEOUT, naming where it was, instead of running
// for ever; its fixtures are disposed. tests/core/testdata/timeouts.ts.
import assert from "node:assert/strict";
import {
  type DenoTestRun,
  expectRun,
  markerFile,
  runDenoTest,
} from "../_shared/harness.ts";

/** Generous against load; without a default budget the run never ends. */
const KILL_AFTER_MS = 60_000;

async function run(
  filter: string,
  env: Record<string, string> = { ITKIT_TIMEOUT: "300" },
): Promise<{ run: DenoTestRun; marks: string[] }> {
  await using marker = await markerFile();
  const controller = new AbortController();
  const kill = setTimeout(() => controller.abort(), KILL_AFTER_MS);
  try {
    const result = await runDenoTest(["timeouts.ts"], {
      args: ["--sanitize-ops", "--sanitize-resources", "--filter", filter],
      env: { ITKIT_MARKER: marker.path, ...env },
      signal: controller.signal,
    });
    expectRun(
      result,
      !controller.signal.aborted,
      `the run did not end within ${KILL_AFTER_MS} ms: the test hangs`,
    );
    return { run: result, marks: await marker.lines() };
  } finally {
    clearTimeout(kill);
  }
}

const FROM_VARIABLE = "(ITKIT_TIMEOUT; a test's `timeout` option overrides it)";

Deno.test("a timer that never fires fails the test within ITKIT_TIMEOUT, in the body", async () => {
  const { run: r, marks } = await run("a timer that never fires");
  expectRun(r, r.failed === 1, "the test fails");
  assert.ok(
    r.output.includes(
      `Test timeout of 300 ms exceeded in the body ${FROM_VARIABLE}`,
    ),
    r.output,
  );
  assert.deepEqual(marks, ["setup dir", "cleanup dir"]);
});

Deno.test("a fixture whose setup hangs is named, and the fixtures set up before it are disposed", async () => {
  const { run: r, marks } = await run("a setup that never ends");
  expectRun(r, r.failed === 1, "the test fails");
  assert.ok(
    r.output.includes(
      `Test timeout of 300 ms exceeded while setting up "db" (stuck) ${FROM_VARIABLE}`,
    ),
    r.output,
  );
  assert.deepEqual(marks, ["setup first", "setup db", "cleanup first"]);
});

Deno.test("a step that hangs is named", async () => {
  const { run: r, marks } = await run("a step that never ends");
  expectRun(r, r.failed === 1, "the test fails");
  assert.ok(
    r.output.includes(
      `Test timeout of 300 ms exceeded in step "waits forever" ${FROM_VARIABLE}`,
    ),
    r.output,
  );
  assert.deepEqual(marks, ["setup dir", "cleanup dir"]);
});

Deno.test("a cleanup that hangs has a budget of its own and is named", async () => {
  const { run: r, marks } = await run("a cleanup that never ends");
  expectRun(r, r.failed === 1, "the test fails");
  assert.match(
    r.output,
    /Test timeout of 15000 ms exceeded while cleaning up "bucket" \(stuck\) \(cleanup has a budget of its own, as large as the test's and at least 15 s; it goes on in the background\)/,
  );
  assert.deepEqual(marks, ["setup bucket", "cleanup bucket"]);
});

Deno.test("a test's own timeout wins over ITKIT_TIMEOUT", async () => {
  const { run: r } = await run("a budget of its own", {
    ITKIT_TIMEOUT: "off",
  });
  expectRun(r, r.failed === 1, "the test fails");
  assert.match(r.output, /Test timeout of 200 ms exceeded in the body\n/);
});

Deno.test("a malformed ITKIT_TIMEOUT is one clear error at load", async () => {
  const { run: r } = await run("a budget of its own", {
    ITKIT_TIMEOUT: "30s",
  });
  expectRun(r, r.code !== 0, "the run fails");
  assert.match(
    r.output,
    /Cannot read ITKIT_TIMEOUT: "30s" is not a budget \(expected a positive whole number of milliseconds up to 2147483647, e\.g\. 60000, or 0 or off for none\)/,
  );
});
