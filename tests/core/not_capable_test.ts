// A NotCapable explained wherever a user meets it: in a fixture's setup and
// cleanup, in a database's `migrate`, in a step
// (tests/core/testdata/not_capable.ts), and Deno's `Can't escalate parent thread permissions`
// for a test that asks for more than `deno test` was given (inline below).
import assert from "node:assert/strict";
import { expectRun, runDenoTest, runInlineTest } from "../_shared/harness.ts";

/** The failure of `test` (`test ... step` for a step) in the ERRORS section. */
function failureOf(output: string, test: string): string {
  const start = output.indexOf(`[integration] ${test} =>`);
  assert.ok(start >= 0, `no failure of "${test}" in:\n${output}`);
  const end = output.indexOf("\n[integration] ", start + 1);
  return output.slice(start, end < 0 ? undefined : end);
}

const GRANT = "Grant it in the test's options: `permissions: { env: " +
  '["ITKIT_NOT_GRANTED"] }`';

Deno.test("a NotCapable in a fixture's setup, cleanup or migrate, or in a step, says what grants it", async () => {
  const run = await runDenoTest(["not_capable.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
  });
  expectRun(run, run.failed === 4, "the four tests fail");
  const setup = failureOf(run.output, "setup");
  assert.ok(
    setup.includes(
      'itkit: fixture "config" (readsInSetup) of the test "[integration] setup" may not use env "ITKIT_NOT_GRANTED" in its setup.',
    ),
    setup,
  );
  assert.ok(
    setup.includes(
      `${GRANT} or in the fixture's own declaration (\`defineFixture({ permissions })\` of "readsInSetup").`,
    ),
    setup,
  );
  const cleanup = failureOf(run.output, "cleanup");
  assert.ok(
    cleanup.includes(
      'itkit: fixture "config" (readsInCleanup) of the test "[integration] cleanup" may not use env "ITKIT_NOT_GRANTED" in its cleanup.',
    ),
    cleanup,
  );
  const migrate = failureOf(run.output, "migrate");
  assert.ok(
    migrate.includes(
      'itkit: fixture "db" (postgresDatabase) of the test "[integration] migrate" may not use env "ITKIT_NOT_GRANTED" in its setup (where its `migrate` runs).',
    ),
    migrate,
  );
  assert.ok(migrate.includes(`${GRANT}.`), migrate);
  const step = failureOf(run.output, "step ... reads");
  assert.ok(
    step.includes(
      'itkit: the test "[integration] step" may not use env "ITKIT_NOT_GRANTED".',
    ),
    step,
  );
});

Deno.test("a test asking for more than deno test was given is told what to pass to deno test", async () => {
  const run = await runInlineTest({
    "escalation.ts":
      `// Tests that ask for more than their \`deno test\` process was given (run
// without --allow-net and without ITKIT_ESCALATED in --allow-env): Deno
// refuses to start them.
import { httpServer, integration } from "@itkit/core";

integration("asks for a variable", {
  permissions: { env: ["ITKIT_ESCALATED"] },
}, () => {});

integration("serves", {
  fixtures: { server: httpServer.fixture({ handler: () => new Response() }) },
}, () => {});
`,
  }, {
    permissions: [
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-sys",
      "--allow-env=ITKIT_REAPER,ITKIT_REAPER_LOG,TMPDIR",
    ],
  });
  expectRun(run, run.failed === 2, "both tests fail");
  const variable = failureOf(run.output, "asks for a variable");
  assert.ok(
    variable.includes(
      'NotCapable: Can\'t escalate parent thread permissions\n  itkit: the test "[integration] asks for a variable" asks for env "ITKIT_ESCALATED" (its `permissions` option), which this `deno test` process was not given.',
    ),
    variable,
  );
  assert.ok(
    variable.includes(
      "Give them to `deno test`: `--allow-env=ITKIT_ESCALATED` (or -A)",
    ),
    variable,
  );
  const serves = failureOf(run.output, "serves");
  assert.ok(
    serves.includes(
      'asks for net "127.0.0.1" (fixture "server" (httpServer)), which this `deno test` process was not given.',
    ),
    serves,
  );
  assert.ok(serves.includes("`--allow-net=127.0.0.1` (or -A)"), serves);
});
