// Internal: a program the run starts and owns (a service's server, the app
// under test): in a process group of its own, its output kept, and stopped
// with every process it started, whatever happens to the test process. While
// a reaper runs it stops the program: when the test process dies (SIGKILL
// included), and on a handle's `stop` (a test's permissions do not allow
// `Deno.kill` of a process group; the reaper's do). Without one, `stop`
// signals what this process may signal.
//
// Each program gets a marker in its environment (`ITKIT_PROCESS=<run id>-<n>`)
// that the processes it starts inherit: the reaper stops every process that
// carries it, or belongs to the program's process group, and nothing else
// (a pid reused by another program carries no marker).

import { uniqueSuffix } from "./naming.ts";
import { handOff, reaperRunning, register, startReaper } from "./reaper.ts";
import { PROCESS_MARKER, type ReapedProcess } from "./_launched_reap.ts";
import { raceDeadline } from "../util/deadline.ts";

/** How the reaper stops a launched program. */
const REMOVER = new URL("./_launched_reap.ts", import.meta.url).href;

/** How much output a handle keeps (the last bytes of it). */
const KEPT_OUTPUT = 256 * 1024;

/** Options of {@linkcode launch}. */
export interface LaunchOptions {
  /** The program and its arguments. */
  command: readonly string[];
  /** What it is, for messages and the reaper log (`redis-server`, `app`). */
  what: string;
  /** Variables to set for it (on top of the process's, unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start it with `env` only. */
  clearEnv?: boolean;
  /** Its working directory. */
  cwd?: string;
  /** A file its output is appended to as well (opened by this process). */
  logFile?: string;
  /** How long it may take to end after SIGTERM before SIGKILL, in ms. */
  stopTimeout: number;
}

/** A started program. */
export interface Launched {
  /** Its pid (the id of its process group too). */
  readonly pid: number;
  /** The value of its {@linkcode PROCESS_MARKER}. */
  readonly marker: string;
  /** Settles when the program itself has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Its exit status once it has exited. */
  exited(): Deno.CommandStatus | undefined;
  /** Its output so far, stdout and stderr as they came (the last 256 KiB). */
  output(): string;
  /**
   * Stops it and every process it started (SIGTERM, then SIGKILL after
   * `stopTimeout`), and waits until its output has ended. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts `command` in a process group of its own, keeping its output, and
 * registers it with the reaper (when one runs) at once.
 *
 * @param options What to run and how.
 * @returns The running program.
 * @throws When it cannot be spawned (not found, not allowed).
 */
export async function launch(options: LaunchOptions): Promise<Launched> {
  const [program, ...args] = options.command;
  if (program === undefined) {
    throw new TypeError(`Cannot start ${options.what}: the command is empty`);
  }
  const marker = uniqueSuffix("-");
  const log = options.logFile === undefined
    ? undefined
    : await Deno.open(options.logFile, {
      append: true,
      create: true,
      mode: 0o600,
    });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      env: { ...options.env, [PROCESS_MARKER]: marker },
      ...(options.clearEnv ? { clearEnv: true } : {}),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Its own session and process group: a Ctrl-C to the test's group is
      // the toolkit's to pass on, and its whole group can be stopped.
      detached: true,
    }).spawn();
  } catch (error) {
    log?.close();
    throw error;
  }
  // --- reaper: as soon as its pid is known (before anything waits).
  const reaped = reaperRunning()
    ? await register(
      {
        remover: REMOVER,
        what: `process ${options.what} (pid ${child.pid})`,
        pid: child.pid,
        marker,
        stopTimeout: options.stopTimeout,
      } satisfies ReapedProcess,
    )
    : undefined;
  // --- end reaper
  let kept = "";
  let status: Deno.CommandStatus | undefined;
  const statusPromise = child.status.then((s) => status = s);
  const pump = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        kept += decoder.decode(chunk, { stream: true });
        if (kept.length > KEPT_OUTPUT) kept = kept.slice(-KEPT_OUTPUT);
        await log?.write(chunk).catch(() => {});
      }
    } catch {
      // Cancelled at stop: a process that left the group holds the pipe.
    }
  };
  const readers = [child.stdout, child.stderr];
  const pumping = Promise.all(readers.map(pump));
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    marker,
    status: statusPromise,
    exited: () => status,
    output: () => kept,
    stop: () =>
      stopping ??= (async () => {
        // --- reaper: it stops the whole group (a test may not Deno.kill)
        const byReaper = reaped !== undefined && await handOff(reaped);
        // --- end reaper
        if (!byReaper) signal(child, "SIGTERM");
        const ended = await waitFor(statusPromise, options.stopTimeout + 100);
        if (!ended) {
          signal(child, "SIGKILL");
          // The reaper's SIGKILL comes at its timeout too; either ends it.
          await statusPromise;
        }
        // What it started may hold its pipes a moment longer; a process
        // that left its group (and escaped the stop) may hold them for good.
        if (!await waitFor(pumping, 2_000)) {
          await Promise.all(readers.map((r) => r.cancel().catch(() => {})));
          await pumping;
        }
        log?.close();
      })(),
  };
}

/**
 * Signals the program's whole group where this process may (`run` of
 * anything), else the program itself.
 */
function signal(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    const { state } = Deno.permissions.querySync({ name: "run" });
    if (state === "granted") {
      Deno.kill(-child.pid, sig);
      return;
    }
  } catch {
    // The group is gone (ESRCH): the program too.
  }
  try {
    child.kill(sig);
  } catch {
    // Already exited.
  }
}

/** Whether `promise` settles within `ms` (the one timer race). */
function waitFor(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return raceDeadline(promise.then(() => true, () => true), ms, () => false);
}

/**
 * Starts the reaper for a program launched from here (at module load, or
 * in a process that may spawn it): call where the process still has its
 * permissions.
 *
 * @returns Whether a reaper runs.
 */
export function reaperForLaunches(): boolean {
  return startReaper();
}
