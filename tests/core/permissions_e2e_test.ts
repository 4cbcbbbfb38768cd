import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "../_shared/harness.ts";

const outside = await Deno.makeTempFile({ prefix: "itkit-outside-" });
await Deno.writeTextFile(outside, "secret");
await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const run = await runDenoTest(["permissions.ts"], {
  env: {
    ITKIT_OUTSIDE_FILE: outside,
    ITKIT_TEST_PORT: String((listener.addr as Deno.NetAddr).port),
  },
});
await Deno.remove(outside);

function verdict(name: string): string {
  const line = run.output.split("\n").find((l) =>
    l.startsWith(`[integration] ${name} ...`) && /\.\.\. (ok|FAILED)/.test(l)
  );
  assert.ok(line, `no verdict for "${name}" in:\n${run.output}`);
  return line.endsWith("ok") || / ok \(/.test(line) ? "ok" : "FAILED";
}

Deno.test("a fixture's declared permissions are granted", () => {
  assert.equal(verdict("writes inside its temp dir"), "ok");
  assert.match(run.output, /READ BACK ok/);
  assert.equal(verdict("reaches its own local server"), "ok");
  assert.match(run.output, /SERVER SAID pong/);
  assert.match(run.output, /DECLARED yes/);
});

Deno.test("reading a file outside the union is denied", () => {
  assert.equal(verdict("reads outside its temp dir"), "FAILED");
  assert.match(
    run.output,
    new RegExp(`NotCapable: Requires read access to "${outside}"`),
  );
});

Deno.test("what Deno does not check is not held, and the README says so: an import reads outside the temp dir", async () => {
  assert.equal(verdict("imports a file outside its temp dir as text"), "ok");
  assert.match(run.output, /^IMPORTED "/m);
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  assert.match(
    readme,
    /a module import reads any file without `read` permission/,
  );
  assert.match(
    readme,
    /## Known limits\n\n- Permissions are Deno's, with Deno's limits/,
  );
});

Deno.test("an undeclared env var is denied", () => {
  assert.equal(verdict("reads an env var it did not declare"), "FAILED");
  assert.match(
    run.output,
    /NotCapable: Requires env access to "ITKIT_OUTSIDE_FILE"/,
  );
});

Deno.test("a test with no fixtures and no permissions gets none", () => {
  assert.equal(verdict("opens the network with no fixture"), "FAILED");
  assert.match(
    run.output,
    /NotCapable: Requires net access to "127\.0\.0\.1:\d+"/,
  );
  assert.equal(verdict("runs a subprocess without run permission"), "FAILED");
  assert.match(run.output, /NotCapable: Requires run access to "true"/);
});

Deno.test("the test's own permissions are added to its fixtures'", () => {
  assert.equal(verdict("adds its own permission to the fixtures'"), "ok");
  assert.match(run.output, /OUTSIDE SAYS secret/);
});

Deno.test("the suite reports exactly the denied tests as failed", () => {
  expectRun(run, run.code !== 0, "the run must fail");
  assert.equal(run.passed, 4);
  assert.equal(run.failed, 4);
});
