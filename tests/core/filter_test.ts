import assert from "node:assert/strict";
import { expectRun, runInlineTest } from "../_shared/harness.ts";
import { EXCLUDE_INTEGRATION_FILTER } from "../../mod.ts";

/** Run inline by the tests below. */
const MIXED = `import { integration } from "@itkit/core";

integration("saves a record", () => {});
integration("loads a record", () => {});
Deno.test("parses a date", () => {});
Deno.test("formats money", () => {});
`;

Deno.test("--filter integration selects exactly the integration tests", async () => {
  const run = await runInlineTest({ "mixed.ts": MIXED }, {
    args: ["--filter", "integration"],
  });
  expectRun(run, run.code === 0, "the run should pass");
  assert.equal(run.passed, 2);
  assert.equal(run.filtered, 2);
  assert.match(run.output, /\[integration\] saves a record \.\.\. ok/);
  assert.match(run.output, /\[integration\] loads a record \.\.\. ok/);
  assert.doesNotMatch(run.output, /parses a date \.\.\./);
});

Deno.test("EXCLUDE_INTEGRATION_FILTER selects exactly the other tests", async () => {
  const run = await runInlineTest({ "mixed.ts": MIXED }, {
    args: ["--filter", EXCLUDE_INTEGRATION_FILTER],
  });
  expectRun(run, run.code === 0, "the run should pass");
  assert.equal(run.passed, 2);
  assert.equal(run.filtered, 2);
  assert.match(run.output, /parses a date \.\.\. ok/);
  assert.match(run.output, /formats money \.\.\. ok/);
  assert.doesNotMatch(run.output, /\[integration\]/);
});
