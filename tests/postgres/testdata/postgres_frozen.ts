// A PostgreSQL server that stops answering (SIGSTOP: it still accepts
// connections, and never replies) while a test with `timeout: 5000` uses it.
// FREEZE says when: "load" (before any connection), "query" (before the
// body's query), "cleanup" (the body ends, then cleanup meets the frozen
// server). PGDATA is the cluster's data directory; the second test thaws it.
import { integration } from "../../../mod.ts";
import { postgresDatabase, type PostgresIsolation } from "../../../postgres.ts";
import { signalServer } from "../frozen_server.ts";

const freeze = Deno.env.get("FREEZE");
const isolation = (Deno.env.get("ISOLATION") ?? "schema") as PostgresIsolation;
const data = Deno.env.get("PGDATA")!;

if (freeze === "load") signalServer(data, "SIGSTOP");

integration(`frozen server (${freeze}, ${isolation})`, {
  timeout: 5000,
  permissions: "inherit",
  fixtures: {
    db: postgresDatabase.fixture({
      isolation,
      migrate: (sql) => sql`create table t (x int)`,
    }),
  },
}, async (_t, { db }) => {
  if (freeze === "query") signalServer(data, "SIGSTOP");
  await db.sql`insert into t values (1)`;
  if (freeze === "cleanup") signalServer(data, "SIGSTOP");
});

integration("thaws the server", {
  permissions: "inherit",
}, () => {
  signalServer(data, "SIGCONT");
});
