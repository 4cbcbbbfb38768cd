// Issue 26, point 5: a PostgreSQL server that accepts connections and never
// answers (stopped with SIGSTOP) before the test connects, during its query,
// or during its cleanup: the test's `timeout: 5000` and the grace its
// database fixture gets bound when it is reported, the errors name the
// server, and once the server runs again nothing of the run is left on it.
import assert from "node:assert/strict";
import { listPostgresLeftovers, startPostgresServer } from "../../services.ts";
import { withAdmin } from "../_shared/services.ts";
import { expectRun, runDenoTest } from "../_shared/harness.ts";
import { signalServer } from "./frozen_server.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];
const PASSWORD = "Frz/P@ss:w%rd#5";

/**
 * When the frozen test may be reported at the latest, in seconds: its
 * timeout (5 s), the grace its fixture's setup or cleanup gets once the
 * server does not answer (5 s, SERVER_GRACE), the second the cut-off work
 * has to fail, and 4 s for a loaded machine. Before, the test was reported
 * after 22 s (frozen in cleanup) to 27 s (in its query).
 */
const BOUND_S = 15;

/** The duration Deno reported for the test named `name`, in seconds. */
function reportedSeconds(output: string, name: string): number {
  const line = output.split("\n").find((l) =>
    l.startsWith(`[integration] ${name} ... `) && /\)$/.test(l)
  );
  const m = /\((?:(\d+)m )?(\d+(?:\.\d+)?)(ms|s)\)$/.exec(line ?? "");
  if (!m) throw new Error(`no duration for "${name}":\n${output}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]) / (m[3] === "ms" ? 1000 : 1);
}

for (
  const [freeze, isolation] of [
    ["load", "schema"],
    ["query", "schema"],
    ["cleanup", "schema"],
    ["query", "transaction"],
  ] as const
) {
  Deno.test(
    `a server frozen ${
      freeze === "load" ? "before the test connects" : `during the ${freeze}`
    } (isolation "${isolation}") fails the test within its timeout and grace, naming the server, and leaves nothing`,
    async () => {
      await using server = await startPostgresServer({ password: PASSWORD });
      const data = `${server.dir}/data`;
      const address = `127.0.0.1:${server.config.port}`;
      const name = `frozen server (${freeze}, ${isolation})`;
      let output = "";
      try {
        const run = await runDenoTest(["postgres_frozen.ts"], {
          args: SANITIZE,
          env: {
            ...server.env,
            FREEZE: freeze,
            ISOLATION: isolation,
            PGDATA: data,
          },
        });
        output = run.output;
        // The second test thaws the server: the first one failed alone.
        expectRun(
          run,
          run.failed === 1 && run.passed === 1,
          "1 fails, 1 passes",
        );
        const seconds = reportedSeconds(run.output, name);
        assert.ok(seconds <= BOUND_S, `reported after ${seconds} s`);
        const failures = run.output.split("\n").filter((l) =>
          /^ {2}\d\. |^error: /.test(l)
        );
        // Each of the fixture's errors names the server (the timeout's names
        // the test).
        const fixture = failures.filter((l) => l.includes('fixture "db"'));
        assert.ok(fixture.length > 0, run.output);
        for (const line of fixture) assert.ok(line.includes(address), line);
        assert.ok(!run.output.includes(PASSWORD), "the password was printed");
        assert.deepEqual(run.reaperFailed, []);
      } finally {
        // Whatever happened: the server must run to be stopped and removed.
        signalServer(data, "SIGCONT");
      }
      assert.deepEqual(await listPostgresLeftovers(server.config), [], output);
      // The run's connections end as soon as the server reads their close.
      let backends: string[] = [];
      for (let i = 0; i < 40; i++) {
        backends = await withAdmin(
          async (sql) =>
            (await sql<{ name: string }[]>`
          select application_name as name from pg_stat_activity
          where application_name like 'itkit%'`).map((r) => r.name),
          undefined,
          server.config,
        );
        if (backends.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.deepEqual(backends, [], output);
    },
  );
}

Deno.test("after a frozen server was given up on, the run's lease still holds: a sweep of another process removes nothing of it", async () => {
  await using server = await startPostgresServer({ password: PASSWORD });
  const data = `${server.dir}/data`;
  let output = "";
  try {
    const run = await runDenoTest(["postgres_frozen_lease.ts"], {
      env: { ...server.env, PGDATA: data },
    });
    output = run.output;
    expectRun(
      run,
      run.failed === 1 && run.passed === 1,
      "the frozen test fails, the sweep's passes",
    );
    assert.ok(!run.output.includes(PASSWORD), "the password was printed");
  } finally {
    signalServer(data, "SIGCONT");
  }
  assert.deepEqual(await listPostgresLeftovers(server.config), [], output);
});

Deno.test('a setup given up on that finishes later is closed: the next test of isolation "truncate" finds its copy free, sanitizers clean', async () => {
  await using server = await startPostgresServer({ password: PASSWORD });
  const data = `${server.dir}/data`;
  let output = "";
  try {
    const run = await runDenoTest(["postgres_frozen_setup.ts"], {
      args: SANITIZE,
      env: { ...server.env, PGDATA: data },
    });
    output = run.output;
    expectRun(
      run,
      run.failed === 1 && run.passed === 2,
      "the frozen setup fails; the thaw and the next test pass",
    );
    expectRun(
      run,
      /^\[integration\] the next test of the same isolation \.\.\. ok/m
        .test(run.output) && /^NEXT rows=1$/m.test(run.output),
      "the next test passes, alone in the table",
    );
    assert.doesNotMatch(run.output, /Leaks detected|could not be closed/);
    assert.ok(!run.output.includes(PASSWORD), "the password was printed");
  } finally {
    signalServer(data, "SIGCONT");
  }
  assert.deepEqual(await listPostgresLeftovers(server.config), [], output);
});
