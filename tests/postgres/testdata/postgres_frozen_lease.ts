// A server stops answering (SIGSTOP) during a test's query, and the fixture
// gives up on it; the run goes on. Once the server runs again, a sweep of
// another process that cannot see this machine's processes (as on another
// host) must still see the run alive, by its lease, and remove nothing: the
// migrated schema of isolation "transaction" is the run's for as long as it
// lives. PGDATA is the cluster's data directory.
import assert from "node:assert/strict";
import postgres from "postgres";
import { integration } from "../../../mod.ts";
import { postgresConfig, postgresDatabase } from "../../../postgres.ts";
import { signalServer } from "../frozen_server.ts";

const data = Deno.env.get("PGDATA")!;
const config = postgresConfig();

/** The local ports of this machine's established TCP connections to `port`. */
function clientPorts(port: number): Set<number> {
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (state !== "01" || !local || !remote) continue;
      if (parseInt(remote.split(":")[1]!, 16) === port) {
        ports.add(parseInt(local.split(":")[1]!, 16));
      }
    }
  }
  return ports;
}

integration("a query on a frozen server", {
  timeout: 1000,
  permissions: "inherit",
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "transaction",
      migrate: (sql) => sql`create table t (x int)`,
    }),
  },
}, async (_t, { db }) => {
  signalServer(data, "SIGSTOP");
  await db.sql`insert into t values (1)`;
});

Deno.test("a sweep of another process sees the run alive by its lease", async () => {
  signalServer(data, "SIGCONT");
  const sql = postgres({
    host: config.host,
    port: config.port,
    user: config.user,
    pass: config.password,
    database: config.database,
    max: 1,
    connection: { application_name: "frozen lease test" },
    onnotice: () => {},
  });
  try {
    // The server, running again, ends the sessions whose client closed its
    // connection (the fixture's, given up on): wait until each session left
    // has its client's connection.
    const until = Date.now() + 20_000;
    for (;;) {
      const rows = await sql<{ port: number }[]>`
        select client_port as port from pg_stat_activity
        where application_name like 'itkit%' and client_port is not null`;
      const open = clientPorts(config.port);
      if (rows.every((r) => open.has(r.port))) break;
      if (Date.now() > until) {
        throw new Error(
          "the sessions of closed connections did not end within 20 s of the server running again",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await sql.end();
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--deny-read=/proc",
      new URL("./_sweep_postgres.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  const report = JSON.parse(new TextDecoder().decode(stdout));
  console.log(`SWEEP ${JSON.stringify(report)}`);
  assert.deepEqual(report.removed, []);
  assert.ok(
    report.inUse.some((line: string) => /^schema .* is alive$/.test(line)),
    JSON.stringify(report),
  );
});
