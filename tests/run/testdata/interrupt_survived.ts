// An app under test with its own SIGTERM listener (a graceful shutdown that
// keeps the process alive): the toolkit's handler cannot end the process by
// the signal, so the tests it held fail instead of hanging the run. The
// running test's body ends when the app's listener has run: SIGTERM comes
// while it runs, however late.
import { integration } from "../../../mod.ts";

let shutDown!: () => void;
const shuttingDown = new Promise<void>((resolve) => shutDown = resolve);
Deno.addSignalListener("SIGTERM", () => {
  console.log("APP shutting down");
  shutDown();
});

integration("runs when the signal comes", async () => {
  console.log("READY running");
  // A timer keeps the event loop alive meanwhile (a signal listener does not).
  const alive = setInterval(() => {}, 1000);
  await shuttingDown;
  clearInterval(alive);
});
integration("comes after it", () => {});
