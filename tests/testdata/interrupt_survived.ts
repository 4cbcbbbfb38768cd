// An app under test with its own SIGTERM listener (a graceful shutdown that
// keeps the process alive): the toolkit's handler cannot end the process by
// the signal, so the tests it held fail instead of hanging the run.
import { integration } from "../../mod.ts";

Deno.addSignalListener("SIGTERM", () => console.log("APP shutting down"));

integration("runs when the signal comes", async () => {
  console.log("READY running");
  await new Promise((resolve) => setTimeout(resolve, 2_500));
});
integration("comes after it", () => {});
