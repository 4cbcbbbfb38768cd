// A test with a module-scoped, two test-scoped and a step-scoped fixture
// that says READY inside its step and hangs until a signal stops the process.
import { integration } from "../../../mod.ts";
import { recorder } from "../../_shared/recorder.ts";

const shared = recorder.fixture({ scope: "module" });

integration("is interrupted", {
  fixtures: {
    shared,
    first: recorder.fixture(),
    second: recorder.fixture(),
    inStep: recorder.fixture({ scope: "step" }),
  },
}, async (t) => {
  await t.step("hangs", async () => {
    console.log("READY in step");
    await new Promise(() => setInterval(() => {}, 1000));
  });
});
