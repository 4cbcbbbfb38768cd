// A test's setup given up on, that finishes all the same afterwards: its
// migration stops the server (SIGSTOP) and then waits on something else (a
// gate the next test opens), so the fixture gives up on the frozen server,
// and the migration, resumed once the server runs again, completes the
// setup after the test has failed. The module's next test of the same
// isolation must find the process's copy free and work, its sanitizers
// clean (before, it failed: "Cannot start a second isolation \"truncate\"
// fixture while one is in use"). PGDATA is the cluster's data directory.
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { signalServer } from "../frozen_server.ts";

const data = Deno.env.get("PGDATA")!;

const gate = Promise.withResolvers<void>();
let migrations = 0;

// One declaration: the two tests share the process's migrated copy.
const db = postgresDatabase.fixture({
  isolation: "truncate",
  migrate: async (sql) => {
    if (migrations++ === 0) {
      signalServer(data, "SIGSTOP");
      await gate.promise;
    }
    await sql`create table t (x int)`;
  },
});

integration("a setup frozen, then waiting", {
  timeout: 1000,
  permissions: "inherit",
  fixtures: { db },
}, () => {});

// Resumes the first test's migration: its work goes on in this test's time.
// Its sanitizers are off by design: the first test's abandoned migration
// resumes here (the server thawed, the gate opened) and its queries run in
// this test's time; the next test's sanitizers stay on and must be clean.
Deno.test({
  name: "thaws the server and opens the gate",
  sanitizeOps: false, // the abandoned migration's queries resume here (above)
  sanitizeResources: false, // and its connection with them
  fn: () => {
    signalServer(data, "SIGCONT");
    gate.resolve();
  },
});

integration("the next test of the same isolation", {
  permissions: "inherit",
  fixtures: { db },
}, async (_t, { db }) => {
  await db.sql`insert into t values (1)`;
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from t`;
  console.log(`NEXT rows=${row?.n}`);
});
