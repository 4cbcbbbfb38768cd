// With parallel_env_prober.ts and parallel_env_user.ts under --parallel: an
// env fixture points DATABASE_URL, S3_ENDPOINT and ITKIT_REQUIRE elsewhere,
// and keeps them so until the other files have probed and read the
// environment, or are held off.
import { env, integration } from "../../../mod.ts";
import { signal, waitFor } from "./_parallel_gate.ts";

// ITKIT_SETTER_SCOPE: "test" (default) or "module".
const scope = (Deno.env.get("ITKIT_SETTER_SCOPE") ?? "test") as "test";
const vars = env.fixture({
  scope,
  vars: {
    DATABASE_URL: "postgres://bogus:bogus@127.0.0.1:1/bogus",
    S3_ENDPOINT: "http://127.0.0.1:1",
    ITKIT_REQUIRE: "bogus",
  },
});

integration(`a ${scope}-scoped env fixture points the services elsewhere`, {
  // Reading /proc/locks takes --allow-all.
  permissions: "inherit",
  fixtures: { vars },
}, async () => {
  signal("env-set");
  // Shared lock waiters: the prober loading, or the user's test starting.
  const prober = await waitFor("probed", "READ");
  const user = await waitFor("read", "READ");
  console.log(`SETTER went on: prober ${prober}, user ${user}`);
});
