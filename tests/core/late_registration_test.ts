import assert from "node:assert/strict";
import { closedPort, expectRun, runInlineTest } from "../_shared/harness.ts";

Deno.test("a probe still running when the module finishes loading fails loudly", async () => {
  const run = await runInlineTest({
    "late.ts": `import { integration, probe } from "@itkit/core";

integration("registered in time", () => {});

// The classic mistake: registering from a probe's callback instead of
// awaiting the probe at top level.
// (Its check ends only after the module's load event, however slow the
// machine: it is still running when the module finishes loading.)
const afterLoad = () =>
  new Promise<void>((resolve) =>
    addEventListener("load", () => setTimeout(resolve, 0))
  );
probe("slow service", afterLoad).then((service) => {
  integration("registered from a callback", { requires: [service] }, () => {});
});
`,
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /Probe check slow service was still running when the test module finished loading\. Await probes at the top level/,
  );
});

Deno.test("registering from a timer after module load fails loudly", async () => {
  const run = await runInlineTest({
    "late_timer.ts": `import { delay, integration } from "@itkit/core";

integration("takes a while", async () => await delay(300));

// Set once the module has loaded: on a busy machine a timer set at the top
// level can fire before the module's load event, while registering still
// works.
globalThis.addEventListener("load", () => {
  setTimeout(() => integration("registered from a timer", () => {}), 50);
});
`,
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /Cannot register integration test "registered from a timer": the test module has already finished loading, and Deno would silently drop a test registered now/,
  );
});

Deno.test("registering from inside a running test fails that test", async () => {
  const run = await runInlineTest({
    "late_in_body.ts": `import { integration } from "@itkit/core";

Deno.test("registers from inside a test", () => {
  integration("registered from a test body", () => {});
});
`,
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.equal(run.failed, 1);
  assert.match(
    run.output,
    /Cannot register integration test "registered from a test body"/,
  );
});

Deno.test("passing an unawaited probe to requires is a TypeError at load", async () => {
  const run = await runInlineTest({
    "pending_requires.ts":
      `import { integration, type ProbeResult, probeTcp } from "@itkit/core";

const port = Number(Deno.env.get("ITKIT_TEST_PORT"));
const db = probeTcp("127.0.0.1", port); // not awaited

integration("forgot to await the probe", {
  requires: [db as unknown as ProbeResult],
}, () => {});
`,
  }, {
    env: { ITKIT_TEST_PORT: String(closedPort()) },
  });
  expectRun(run, run.code !== 0, "the run must fail");
  assert.match(
    run.output,
    /TypeError: Cannot register integration test "forgot to await the probe": requires\[0\] is a Promise; await the probe at the top level/,
  );
});
