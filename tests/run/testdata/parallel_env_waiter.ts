// With parallel_env_holder.ts under --parallel: an integration test whose
// budget (500 ms) runs out while the other file's env fixture keeps the env
// lock: it fails within its budget, naming the wait.
import { integration } from "../../../mod.ts";
import { signal, waitFor } from "./_parallel_gate.ts";

signal("waiter-loaded");

Deno.test("waits until the other file's env fixture is in place", async () => {
  await waitFor("env-set");
});

integration("a short budget runs out waiting for the env lock", {
  timeout: 500,
}, () => {
  console.log("BODY RAN");
});

Deno.test("says it is over", () => {
  signal("waiter-done");
});

// Once the other file's module has ended, the lock is free again.
integration("a later test runs once the other file's env fixture is gone", {
  permissions: { env: ["ITKIT_HOLDER_VALUE"] },
}, () => {
  console.log(`LATER sees ${Deno.env.get("ITKIT_HOLDER_VALUE") ?? "nothing"}`);
});
