// Runs `deno test` on a test project in its own session and process group
// (util-linux `setsid`), so that a signal to its group never reaches this
// test runner, and waits for a READY line.
import { waitForReapers } from "../../src/run/reaper.ts";
import { testdataPath } from "./harness.ts";

const ROOT = new URL("../../", import.meta.url);

/** A `deno test` child in its own process group. */
export interface GroupRun extends AsyncDisposable {
  /** The child's pid, also its process group id. */
  readonly pid: number;
  /** The reaper log the child's reapers write to. */
  readonly log: string;
  /** Resolves with the words after `READY`, or rejects when it ends first. */
  ready(): Promise<string[]>;
  /** Resolves once `count` READY lines came: the words after each. */
  readyLines(count: number): Promise<string[][]>;
  /** Sends `signal` to the child only, or with `group` to its whole group. */
  kill(signal: Deno.Signal, group?: boolean): void;
  /** Waits for the child to end, then for its reapers; returns its output. */
  finish(): Promise<{ code: number; output: string; failed: string[] }>;
}

/**
 * Starts `deno test -A` on `files` (bare names of programs in an area's testdata/) with a
 * fresh reaper log, in a new session.
 */
export async function startInGroup(
  files: string[],
  options: {
    env?: Record<string, string>;
    prefix?: string[];
    /** Extra `deno test` flags. */
    args?: string[];
  } = {},
): Promise<GroupRun> {
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  const child = new Deno.Command("setsid", {
    args: [
      ...(options.prefix ?? []),
      Deno.execPath(),
      "test",
      "-A",
      "--no-check",
      ...(options.args ?? []),
      ...files.map(testdataPath),
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env, ITKIT_REAPER_LOG: log },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let ended = false;
  const readAll = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
    }
    ended = true;
  })();
  const finish = async (): Promise<
    { code: number; output: string; failed: string[] }
  > => {
    const { code } = await child.status;
    await readAll;
    const text = output + await stderr;
    const report = await waitForReapers(log);
    return { code, output: text, failed: report.failed };
  };
  const readyLines = async (count: number): Promise<string[][]> => {
    for (;;) {
      const lines = [...output.matchAll(/READY ?(.*)\n/g)];
      if (lines.length >= count) {
        return lines.slice(0, count).map((m) => m[1]!.split(" "));
      }
      if (ended) throw new Error(`not ${count} READY lines:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    pid: child.pid,
    log,
    async ready(): Promise<string[]> {
      return (await readyLines(1))[0]!;
    },
    readyLines,
    kill(signal, group = false): void {
      Deno.kill(group ? -child.pid : child.pid, signal);
    },
    finish,
    async [Symbol.asyncDispose](): Promise<void> {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
      await finish();
      await Deno.remove(log);
    },
  };
}
