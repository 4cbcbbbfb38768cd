// SIGTERM while a test is about to finish on its own: its body ends during
// the fixture's slow cleanup (which the signal started), and the tests left
// are quick. The process must still end by the signal (143), not by the run
// passing in the meantime.
import { defineFixture, integration } from "../../mod.ts";

const slowCleanup = defineFixture<Record<never, never>, AsyncDisposable>({
  name: "slowCleanup",
  setup: () =>
    Promise.resolve({
      [Symbol.asyncDispose]: () =>
        new Promise<void>((resolve) => setTimeout(resolve, 3_000)),
    }),
});

integration("finishes while the signal is handled", {
  fixtures: { slow: slowCleanup.fixture() },
}, async () => {
  console.log("READY finishing");
  await new Promise((resolve) => setTimeout(resolve, 400));
});

integration("quick one", () => {});
Deno.test("quick plain one", () => {});
