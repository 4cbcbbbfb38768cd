import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";

// Database tests with no probe (no `requires`) while the server refuses
// connections: more of them than the shared pool has connections, both
// isolations on that pool, and a database clone.
const isolations = [
  "transaction",
  "schema",
  "transaction",
  "schema",
  "transaction",
  "schema",
  "database",
  "transaction",
] as const;
isolations.forEach((isolation, i) => {
  integration(`refused ${i} (${isolation})`, {
    fixtures: { db: postgresDatabase.fixture({ isolation }) },
  }, () => {});
});

// Under the sanitizers: nothing the refusals started (a timer, a socket, a
// reconnect) ends during this test.
Deno.test("after the refused ones", async () => {
  await new Promise((resolve) => setTimeout(resolve, 200));
});
