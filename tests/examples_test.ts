import assert from "node:assert/strict";
import { closedPort, expectRun, runDenoTest } from "./_harness.ts";

Deno.test("the health example is ignored with its reason when nothing listens", async () => {
  const port = closedPort();
  const run = await runDenoTest(["examples/health_check_test.ts"], {
    env: { HEALTH_URL: `http://127.0.0.1:${port}/health` },
  });
  expectRun(run, run.code === 0, "an ignored test does not fail the run");
  assert.equal(run.ignored, 1);
  assert.match(
    run.output,
    new RegExp(
      `health endpoint reports healthy \\(ignored: http http://127\\.0\\.0\\.1:${port}/health: connection refused 127\\.0\\.0\\.1:${port}\\) \\.\\.\\. ignored`,
    ),
  );
});

Deno.test("the health example runs when the server is up", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ status: "healthy" }),
  );
  const run = await runDenoTest(["examples/health_check_test.ts"], {
    env: { HEALTH_URL: `http://127.0.0.1:${server.addr.port}/health` },
  });
  expectRun(run, run.code === 0, "the run should pass");
  assert.equal(run.passed, 1);
  assert.equal(run.ignored, 0);
});

Deno.test("the local examples pass under the integration filter", async () => {
  const run = await runDenoTest([
    "examples/results_store_test.ts",
    "examples/file_processing_test.ts",
    "examples/api_client_test.ts",
  ], {
    args: ["--filter", "integration", "--sanitize-ops", "--sanitize-resources"],
  });
  expectRun(run, run.code === 0, "the examples should pass");
  assert.equal(run.passed, 4);
  assert.match(
    run.output,
    /file processing turns input\.txt into output\.txt \.\.\. ok/,
  );
});
