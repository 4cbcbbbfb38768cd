import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { recorder } from "../../_shared/recorder.ts";

integration("throws", {
  fixtures: { t1a: recorder.fixture(), t1b: recorder.fixture() },
}, () => {
  throw new Error("boom in body");
});

integration("fails an assertion", {
  fixtures: { t2a: recorder.fixture(), t2b: recorder.fixture() },
}, () => {
  assert.equal(1, 2);
});

integration("fails a step", {
  fixtures: {
    t3a: recorder.fixture(),
    t3s: recorder.fixture({ scope: "step" }),
  },
}, async (t) => {
  await t.step("bad step", async (_t, { t3s }) => {
    await t3s.note("in step");
    throw new Error("boom in step");
  });
});

integration("fails setup at fixture 2 of 3", {
  fixtures: {
    t4a: recorder.fixture(),
    t4b: recorder.fixture({ failSetup: true }),
    t4c: recorder.fixture(),
  },
}, () => {
  console.log("BODY RAN t4");
});

integration("fails one cleanup", {
  fixtures: {
    t5a: recorder.fixture(),
    t5b: recorder.fixture({ failCleanup: true }),
    t5c: recorder.fixture(),
  },
}, () => {});

integration("fails two cleanups after a throw", {
  fixtures: {
    t6a: recorder.fixture({ failCleanup: true }),
    t6b: recorder.fixture(),
    t6c: recorder.fixture({ failCleanup: true }),
  },
}, () => {
  throw new Error("boom before cleanup");
});

// The toolkit timeout covers fixture setup too. The recorder's setup never
// yields to the event loop (nor does starting a step), so these bodies always
// start, and listen for the abort, before the timer can fire, however slow
// the machine: 300 ms only sets how long the test waits.
integration("times out", {
  timeout: 300,
  fixtures: { t7a: recorder.fixture(), t7b: recorder.fixture() },
}, async (t) => {
  // A body that never finishes and ignores the signal.
  t.signal.addEventListener("abort", () => console.log("SIGNAL ABORTED t7"));
  await new Promise(() => {});
});

integration("times out inside a step", {
  timeout: 300,
  fixtures: {
    t8a: recorder.fixture(),
    t8s: recorder.fixture({ scope: "step" }),
  },
}, async (t) => {
  await t.step("hangs", () => new Promise<void>(() => {}));
});

integration("passes", {
  fixtures: {
    t9a: recorder.fixture(),
    t9s: recorder.fixture({ scope: "step" }),
  },
}, async (t, { t9a }) => {
  await t9a.note("body");
  await t.step("one", async (_t, { t9s }) => await t9s.note("step one"));
  await t.step("two", async (_t, { t9s }) => await t9s.note("step two"));
});
