// SIGTERM (GNU timeout, kill, a cancelled CI job) in the test process: the
// running test's fixtures are disposed innermost first and in reverse order,
// then the module-scoped ones, and the process exits with 143.
import assert from "node:assert/strict";
import { markerFile } from "../_shared/harness.ts";
import { startInGroup } from "../_shared/group.ts";

/** Runs a test project until READY, sends it SIGTERM, waits for its end. */
async function terminated(
  file: string,
  options: { env?: Record<string, string>; group?: boolean } = {},
): Promise<{ code: number; output: string }> {
  await using run = await startInGroup([file], { env: options.env ?? {} });
  await run.ready();
  run.kill("SIGTERM", options.group);
  return await run.finish();
}

for (const group of [false, true]) {
  Deno.test(`SIGTERM ${group ? "to the process group" : "to the test process"} disposes the running test's fixtures in reverse order, then exits 143`, async () => {
    await using marker = await markerFile();
    const { code, output } = await terminated("interrupt.ts", {
      env: { ITKIT_MARKER: marker.path },
      group,
    });
    assert.equal(code, 143, output);
    assert.match(
      output,
      /itkit: SIGTERM: disposed the fixtures of 2 open scope\(s\); exiting with 143/,
    );
    assert.deepEqual(await marker.lines(), [
      "setup shared",
      "setup first",
      "setup second",
      "setup inStep",
      "cleanup inStep",
      "cleanup second",
      "cleanup first",
      "cleanup shared",
    ]);
  });
}

Deno.test("SIGTERM while a test finishes on its own still ends the process by the signal, not with a passing run", async () => {
  const { code, output } = await terminated("interrupt_finishing.ts");
  assert.equal(code, 143, output);
  assert.match(
    output,
    /itkit: SIGTERM: disposed the fixtures of 1 open scope\(s\); exiting with 143/,
  );
  assert.doesNotMatch(output, /^ok \|/m);
  assert.doesNotMatch(output, /quick one \.\.\. ok/);
});

Deno.test("SIGTERM that another listener survives fails the tests held meanwhile, instead of hanging", async () => {
  const { code, output } = await terminated("interrupt_survived.ts");
  assert.equal(code, 1, output);
  assert.match(output, /APP shutting down/);
  assert.match(
    output,
    /SIGTERM: the process did not end by the signal \(another SIGTERM listener keeps it alive\); the tests held meanwhile fail/,
  );
  assert.match(output, /FAILED \| 0 passed \| 2 failed/);
});
