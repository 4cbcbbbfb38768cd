// Internal: the test process's side of the reaper (see _reaper_main.ts), a
// helper process that removes every resource fixtures registered with it when
// the test process ends, however it ends (normal exit, SIGKILL, Ctrl-C or
// SIGTERM to the whole process group), and removes handed-off resources off
// the test's path.
//
// A fixture registers a resource (a name and the module that removes it)
// BEFORE creating it, then, on dispose, either hands it off (the reaper
// removes it now, the test does not wait) or, having removed it itself,
// forgets it. The reaper is started at module load (`startReaper()` in a
// fixture's `prepare`), when the process still may spawn it; where it cannot
// be started, fixtures clean up inline as before.

import { RUN_ID } from "./naming.ts";
import { isReaperEnabled, reaperLogSetting } from "./settings.ts";
import { systemTempDir } from "../util/env.ts";

/** A resource the reaper can remove: a plain JSON record. */
export interface ReapedResource {
  /** The URL of a module exporting `reap(resource): Promise<void>`. */
  remover: string;
  /** What it is, for the log: `bucket itkit-…`, `dir /tmp/itkit-…`. */
  what: string;
  /** Whatever the remover needs (names, configs). */
  [field: string]: unknown;
}

let child: Deno.ChildProcess | undefined;
let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
let unavailable: string | undefined;
let nextId = 0;
let logPath: string | undefined;
const encoder = new TextEncoder();

/** The log file of this process's reaper (`ITKIT_REAPER_LOG`, else a temp file). */
export function reaperLogPath(): string {
  return logPath ??= reaperLogSetting() ??
    `${systemTempDir()}/itkit-reaper-${RUN_ID}.log`;
}

/**
 * Starts the reaper once, if this process may spawn it. Call it where the
 * process still has its permissions: at module load, from `prepare`.
 *
 * @returns Whether the reaper is running.
 */
export function startReaper(): boolean {
  if (child) return true;
  if (unavailable !== undefined) return false;
  const main = new URL("./_reaper_main.ts", import.meta.url);
  // All permissions: it removes what any fixture made, and reads
  // /proc/<pid> (which Deno grants only with --allow-all) to wait for helpers.
  const args = ["run", "--allow-all", "--no-prompt"];
  if (main.protocol === "file:") {
    args.push("--config", new URL("../../deno.json", import.meta.url).pathname);
  }
  try {
    if (!isReaperEnabled()) {
      unavailable = "turned off by ITKIT_REAPER";
      return false;
    }
    const { state } = Deno.permissions.querySync({
      name: "run",
      command: Deno.execPath(),
    });
    if (state !== "granted") {
      unavailable = "no permission to run deno";
      return false;
    }
    child = new Deno.Command(Deno.execPath(), {
      args: [...args, main.href, reaperLogPath(), String(Deno.pid)],
      // Its own session: Ctrl-C or SIGTERM to our process group misses it.
      detached: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    unavailable = String(error);
    return false;
  }
  // It must not keep a finished test process alive; its stdin closes when we
  // end, which is its signal to remove what is left.
  child.unref();
  writer = child.stdin.getWriter();
  return true;
}

/** Whether the reaper is running for this process. */
export function reaperRunning(): boolean {
  return child !== undefined;
}

async function send(message: Record<string, unknown>): Promise<void> {
  await writer!.write(encoder.encode(JSON.stringify(message) + "\n"));
}

/**
 * Registers a resource before it is created: from now on the reaper removes
 * it if this process ends before handing it off or forgetting it.
 *
 * @param resource What to remove and how.
 * @returns Its id, or `undefined` when no reaper runs (clean up inline).
 */
export async function register(
  resource: ReapedResource,
): Promise<number | undefined> {
  if (!child) return undefined;
  const id = ++nextId;
  await send({ op: "add", id, resource });
  return id;
}

/**
 * Hands a registered resource off: the reaper removes it now, off the
 * test's path; the caller does not wait for the removal.
 *
 * @param id The id from {@linkcode register}.
 */
export async function handOff(id: number): Promise<void> {
  await send({ op: "remove", id });
}

/**
 * Forgets a registered resource the caller removed itself.
 *
 * @param id The id from {@linkcode register}.
 */
export async function forget(id: number): Promise<void> {
  await send({ op: "forget", id });
}

/**
 * Has the reaper wait, before it exits, for another helper process of ours
 * that cleans up after us on its own (the database clone pool), so that
 * waiting for the reapers also waits for it. Call right after spawning it.
 *
 * @param pid The helper's pid.
 */
export function waitForHelper(pid: number): void {
  if (!startReaper()) return;
  send({ op: "helper", id: pid }).catch(() => {});
}

/** What the reapers that wrote to a log did. */
export interface ReaperReport {
  /** Lines of removals that failed. */
  failed: string[];
  /** How many resources they removed. */
  removed: number;
  /** Reapers still running when the wait gave up. */
  running: number[];
}

/**
 * Waits until every reaper that wrote to `log` has exited (or is gone), so
 * that nothing checks for leftovers while a reaper is still removing them.
 *
 * @param log The log file the reapers share.
 * @param timeoutMs How long to wait at most.
 * @returns What they did.
 */
export async function waitForReapers(
  log: string,
  timeoutMs = 120_000,
): Promise<ReaperReport> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let text = "";
    try {
      text = await Deno.readTextFile(log);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const started = [...text.matchAll(/ reaper (\d+) started/g)].map((m) =>
      Number(m[1])
    );
    const exited = new Set(
      [...text.matchAll(/ reaper (\d+) exited/g)].map((m) => Number(m[1])),
    );
    const running = started.filter((pid) =>
      !exited.has(pid) && processAlive(pid)
    );
    if (running.length === 0 || Date.now() > until) {
      return {
        failed: text.split("\n").filter((l) => / FAILED /.test(l)),
        removed: [...text.matchAll(/ removed /g)].length,
        running,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Whether process `pid` is running (not gone, not a zombie). Linux only;
 * elsewhere it says yes.
 *
 * @param pid The process id.
 * @returns Whether it runs.
 */
export function processAlive(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie has exited; its parent has not collected it yet.
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
