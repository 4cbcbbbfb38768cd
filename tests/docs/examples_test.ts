import assert from "node:assert/strict";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";
import { bucketNames, itkitObjects, withAdmin } from "../_shared/services.ts";

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

Deno.test("the local examples pass under the integration filter", async () => {
  const run = await runDenoTest([
    "examples/results_store_test.ts",
    "examples/file_processing_test.ts",
    "examples/api_client_test.ts",
    "examples/shared_server_test.ts",
    "examples/api_client_msw_test.ts",
  ], {
    args: ["--filter", "integration", "--sanitize-ops", "--sanitize-resources"],
  });
  expectRun(run, run.code === 0, "the examples should pass");
  // 4 + 2 msw tests, 2 sharing one server (set up and disposed by hooks).
  assert.equal(run.passed, 8);
  assert.match(
    run.output,
    /file processing turns input\.txt into output\.txt \.\.\. ok/,
  );
});

Deno.test("the S3 examples are ignored with their reason when S3 is unreachable", async () => {
  const port = closedPort();
  const run = await runDenoTest([
    "examples/results_store_s3_test.ts",
    "examples/minio_upload_test.ts",
  ], { env: { S3_ENDPOINT: `http://127.0.0.1:${port}` } });
  expectRun(run, run.code === 0, "ignored tests do not fail the run");
  assert.equal(run.ignored, 2);
  assert.match(
    run.output,
    new RegExp(
      `results store saves a record to S3 \\(ignored: s3 http://127\\.0\\.0\\.1:${port}: connection refused 127\\.0\\.0\\.1:${port}\\) \\.\\.\\. ignored`,
    ),
  );
});

// One run of the whole suite, as `deno task demo` runs it: with the
// permission set of deno.json instead of -A, every service up, required.
Deno.test("the whole example suite passes with -P=examples (the set `deno task demo` uses), with every service up, and leaves nothing behind", async () => {
  const bucketsBefore = await bucketNames();
  const objectsBefore = await itkitObjects();
  await using health = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ status: "healthy" }),
  );
  const run = await runDenoTest(["examples/"], {
    permissions: ["-P=examples"],
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: {
      HEALTH_URL: `http://127.0.0.1:${health.addr.port}/health`,
      ITKIT_REQUIRE: "1",
    },
  });
  expectRun(
    run,
    run.code === 0 && run.failed === 0 && run.ignored === 0 && run.passed >= 10,
    "every example passes with the permission set",
  );
  assert.match(run.output, /health endpoint reports healthy \.\.\. ok/);
  const demo = await Deno.readTextFile(
    new URL("../../tools/demo.ts", import.meta.url),
  );
  assert.match(demo, /"-P=examples"/);
  assert.doesNotMatch(demo, /"-A"/);
  const schema = /schema: (itkit_\S+)/.exec(run.output)?.[1];
  assert.ok(schema, "the database example names its schema");
  // The transaction example's migrated schema is dropped by the clone
  // helper just after the test process ends: runDenoTest waited until it
  // said it exited and was gone.
  assert.deepEqual(run.reaperFailed, []);
  assert.deepEqual(await itkitObjects(), objectsBefore);
  assert.ok(!objectsBefore.includes(`schema ${schema}`));
  assert.deepEqual(await bucketNames(), bucketsBefore);
  const testTable = await withAdmin((sql) =>
    sql`select to_regclass('public.test_table') as t`
  );
  assert.equal(testTable[0]!.t, null);
});
