import assert from "node:assert/strict";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";

Deno.test("a down service makes the test ignored with its reason", async () => {
  const port = closedPort();
  const run = await runDenoTest(["probe_gated.ts"], {
    env: { ITKIT_TEST_PORT: String(port) },
  });
  expectRun(run, run.code === 0, "ignored tests do not fail the run");
  assert.equal(run.ignored, 2);
  assert.equal(run.passed, 1);
  assert.match(
    run.output,
    new RegExp(
      `\\[integration\\] talks to the tcp service \\(ignored: tcp 127\\.0\\.0\\.1:${port}: connection refused 127\\.0\\.0\\.1:${port}\\) \\.\\.\\. ignored`,
    ),
  );
  assert.match(
    run.output,
    new RegExp(
      `talks to the http service \\(ignored: http http://127\\.0\\.0\\.1:${port}/health: connection refused 127\\.0\\.0\\.1:${port}\\)`,
    ),
  );
  assert.doesNotMatch(run.output, /BODY RAN/);
});

Deno.test("in require mode a down service fails the test with the reason", async () => {
  const port = closedPort();
  const run = await runDenoTest(["probe_gated.ts"], {
    env: { ITKIT_TEST_PORT: String(port), ITKIT_REQUIRE: "1" },
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.equal(run.failed, 2);
  assert.equal(run.passed, 1);
  assert.equal(run.ignored, 0);
  assert.match(
    run.output,
    new RegExp(
      `ServiceUnavailableError: required service unavailable \\(ITKIT_REQUIRE is set\\): tcp 127\\.0\\.0\\.1:${port}: connection refused`,
    ),
  );
  assert.doesNotMatch(run.output, /BODY RAN/);
});

Deno.test("without a probe, a refused database fails each test with the refusal (more tests than pooled connections)", async () => {
  const port = closedPort();
  const run = await runDenoTest(["postgres_refused.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: { DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/app` },
  });
  expectRun(
    run,
    run.code === 1 && run.failed === 8 && run.passed === 1,
    "each of the 8 tests should fail, and the test after them pass",
  );
  const refused = run.output.match(
    new RegExp(
      `failed to set up: Cannot use PostgreSQL at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app: connect ECONNREFUSED`,
      "g",
    ),
  );
  assert.equal(refused?.length, 8, run.output);
  // Not a query left waiting forever for a connection (postgres.js 3.4.9,
  // with a socket factory that rejects), nor Deno's panic that followed.
  assert.doesNotMatch(run.output, /still pending|panicked/);
});

Deno.test("a service that is up lets the test run", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const run = await runDenoTest(["probe_gated.ts"], {
    env: { ITKIT_TEST_PORT: String(server.addr.port), ITKIT_REQUIRE: "1" },
  });
  expectRun(run, run.code === 0, "the run should pass");
  assert.equal(run.passed, 3);
  assert.equal(run.ignored, 0);
  assert.match(run.output, /BODY RAN tcp/);
  assert.match(run.output, /BODY RAN http/);
});

Deno.test("an HTTP error status is the reason", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("down", { status: 503 }),
  );
  const run = await runDenoTest(["probe_gated.ts"], {
    env: { ITKIT_TEST_PORT: String(server.addr.port) },
  });
  expectRun(run, run.code === 0, "the run should pass");
  assert.equal(run.ignored, 1);
  assert.match(
    run.output,
    /talks to the http service \(ignored: http .*: HTTP 503\)/,
  );
  assert.match(run.output, /BODY RAN tcp/);
});

Deno.test("a custom probe's reason names it once, and a synchronous check is accepted", async () => {
  const run = await runDenoTest(["custom_probe_gated.ts"]);
  expectRun(run, run.code === 0, "ignored tests do not fail the run");
  assert.equal(run.ignored, 1, run.output);
  assert.equal(run.passed, 1, run.output);
  assert.match(
    run.output,
    /^\[integration\] uses feature flags \(ignored: feature flag service: not configured in this environment\) \.\.\. ignored/m,
  );
  assert.doesNotMatch(run.output, /BODY RAN/);
});
