// A module whose database-isolated test starts the clone helper as it loads,
// then is killed (SIGKILL) at once, before the helper has run a line of its
// own: whoever waits for the run's reapers must still wait for the helper.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

integration("never runs", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "database" }) },
}, () => {});

Deno.kill(Deno.pid, "SIGKILL");
