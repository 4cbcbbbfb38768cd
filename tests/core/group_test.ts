// Groups, observed through a `deno test` run of tests/core/testdata/groups.ts.
import assert from "node:assert/strict";
import { group } from "../../mod.ts";
import { expectRun, runDenoTest } from "../_shared/harness.ts";

const secret = await Deno.makeTempFile({ prefix: "itkit-secret-" });
await Deno.writeTextFile(secret, "s3cret");
const run = await runDenoTest(["groups.ts"], {
  args: ["--sanitize-ops", "--sanitize-resources"],
  env: { ITKIT_SECRET_FILE: secret },
});
await Deno.remove(secret);

function verdict(name: string): string {
  const line = run.output.split("\n").find((l) =>
    l.startsWith(`[integration] ${name} ...`) && /\.\.\. (ok|FAILED)/.test(l)
  );
  expectRun(run, line !== undefined, `no verdict for "${name}"`);
  return / ok \(/.test(line!) ? "ok" : "FAILED";
}

Deno.test("a group prefixes its tests' names, nested groups too", () => {
  assert.equal(verdict("files > reads the group's file"), "ok");
  assert.equal(verdict("files > nested > has its own fixture too"), "ok");
  assert.equal(verdict("files > registered with integration() inside"), "ok");
});

Deno.test("a group passes its permissions and fixtures down", () => {
  assert.match(run.output, /DIR \S+/);
  assert.equal(verdict("outside any group cannot read the file"), "FAILED");
  assert.match(run.output, /NotCapable: Requires read access/);
});

Deno.test("a group's timeout applies to the tests inside that set none", () => {
  assert.equal(
    verdict("files > nested > hangs past the group's budget"),
    "FAILED",
  );
  assert.match(run.output, /Test timeout of 2000 ms exceeded in the body/);
});

Deno.test("a group's requires ignore its tests with the reason", () => {
  assert.match(
    run.output,
    /\[integration\] database > stores a user \(ignored: db 127\.0\.0\.1:1: connection refused 127\.0\.0\.1:1\) \.\.\. ignored/,
  );
  assert.doesNotMatch(run.output, /must not run/);
  assert.equal(run.ignored, 1);
  assert.equal(run.failed, 2);
});

Deno.test("a group body must register its tests synchronously", () => {
  assert.throws(
    () => group("later", async () => {}),
    /Cannot define group "later": the body returned a promise/,
  );
  assert.throws(
    // @ts-expect-error: a body is required
    () => group("nobody", {}),
    /Cannot define group "nobody": expected a body function/,
  );
});
