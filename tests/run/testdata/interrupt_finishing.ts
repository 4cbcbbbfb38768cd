// SIGTERM while a test is about to finish on its own: its body ends during
// the fixture's cleanup (which the signal started), and the tests left are
// quick. The process must still end by the signal (143), not by the run
// passing in the meantime. No timer: the body waits for the cleanup to
// start, and the cleanup for the body to end.
import { defineFixture, integration } from "../../../mod.ts";

let cleanupStarted!: () => void;
const cleaningUp = new Promise<void>((resolve) => cleanupStarted = resolve);
let bodyEnded!: () => void;
const bodyDone = new Promise<void>((resolve) => bodyEnded = resolve);

const signalledCleanup = defineFixture<
  Record<never, never>,
  AsyncDisposable
>({
  name: "signalledCleanup",
  setup: () =>
    Promise.resolve({
      [Symbol.asyncDispose]: async () => {
        cleanupStarted();
        await bodyDone;
      },
    }),
});

integration("finishes while the signal is handled", {
  fixtures: { cleanup: signalledCleanup.fixture() },
}, async () => {
  console.log("READY finishing");
  // A timer keeps the event loop alive meanwhile (a signal listener does not).
  const alive = setInterval(() => {}, 1000);
  await cleaningUp;
  clearInterval(alive);
  bodyEnded();
});

integration("quick one", () => {});
Deno.test("quick plain one", () => {});
