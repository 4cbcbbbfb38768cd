// With parallel_env_waiter.ts under --parallel: a module-scoped env fixture
// keeps its values in place (and every other file's integration tests out)
// until the other file says its test with a short budget is over. Before,
// that test waited for this file outside its budget, passed, and this one
// failed waiting (20 s) for a signal that never came while it held on.
import { env, integration } from "../../../mod.ts";
import { signal, waitFor } from "./_parallel_gate.ts";

// The other file's module loads first: a module's loading waits (with no
// budget) while an env fixture's values are in place.
await waitFor("waiter-loaded");

const vars = env.fixture({
  scope: "module",
  vars: { ITKIT_HOLDER_VALUE: "held" },
});

integration("a module-scoped env fixture holds on", {
  // Reading the gate files takes --allow-all.
  permissions: "inherit",
  fixtures: { vars },
}, async () => {
  signal("env-set");
  await waitFor("waiter-done", undefined, 20_000);
});
