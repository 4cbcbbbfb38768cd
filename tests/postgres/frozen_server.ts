// Freezing a local PostgreSQL server and thawing it, for the frozen-server
// tests (postgres_frozen_test.ts and its programs in testdata/): SIGSTOP
// leaves it accepting connections and answering none.

/** The postmaster of the cluster in `data` and every process it started. */
function serverPids(data: string): number[] {
  const postmaster = Number(
    Deno.readTextFileSync(`${data}/postmaster.pid`).split("\n")[0],
  );
  const children = Deno.readTextFileSync(
    `/proc/${postmaster}/task/${postmaster}/children`,
  ).trim().split(/\s+/).filter((pid) => pid !== "").map(Number);
  return [postmaster, ...children];
}

/**
 * Sends `signal` to the server of the cluster in `data` (PGDATA): SIGSTOP
 * freezes it, SIGCONT thaws it. A process that exited since is skipped.
 */
export function signalServer(
  data: string,
  signal: "SIGSTOP" | "SIGCONT",
): void {
  for (const pid of serverPids(data)) {
    try {
      Deno.kill(pid, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}
