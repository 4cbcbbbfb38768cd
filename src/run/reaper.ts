// Internal: the test process's side of the reaper (see _reaper_main.ts), a
// helper process that removes every resource fixtures registered with it when
// the test process ends, however it ends (normal exit, SIGKILL, Ctrl-C or
// SIGTERM to the whole process group), and removes handed-off resources off
// the test's path. One reaper serves every worker of a `deno test --parallel`
// process (see util/helper_process.ts): the first spawns it and talks to it
// over its stdin and stdout, the others connect to its socket; what a worker
// registered is removed when that worker ends (its connection closes).
//
// A fixture registers a resource (a name and the module that removes it)
// BEFORE creating it, then, on dispose, either hands it off (the reaper
// removes it now, the test does not wait) or, having removed it itself,
// forgets it. The reaper is started at module load (`startReaper()` in a
// fixture's `prepare`), when the process still may spawn it; where it cannot
// be started, fixtures clean up inline as before.

import { readyFileOwner, RUN_ID } from "./naming.ts";
import { isReaperEnabled, reaperLogSetting } from "./settings.ts";
import { systemTempDir } from "../util/env.ts";
import {
  claimHelper,
  connectHelper,
  type HelperConnection,
  helperStderr,
  type SharedHelperPlace,
  spawnHelper,
} from "../util/helper_process.ts";
import { ReaperError } from "./reaper_error.ts";
import {
  readReaperReply,
  type ReapedResource,
  type ReaperRequest,
} from "./_reaper_protocol.ts";
import { writeMessage } from "../util/protocol.ts";

/** What a remover module registers (see `_reaper_protocol.ts`). */
export type { ReapedResource };
import { processRunning } from "./_local_runs.ts";

/** The reaper, when this worker spawned it. */
let child: Deno.ChildProcess | undefined;
/** Where the reaper this worker spawned serves the process's other workers. */
let spawnedPlace: SharedHelperPlace | undefined;
let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
/** The reaper another worker of this process spawned, connected to. */
let connection: HelperConnection | undefined;
/**
 * The file the reaper appends the id of each resource it made ahead to,
 * opened here at module load (by a worker that connected: before its first
 * test): reading it is synchronous and needs no permission inside a test,
 * so a setup whose resource is ready makes no round trip to the reaper.
 */
let ready: Deno.FsFile | undefined;
let readyPath = "";
let readyTail = "";
const readyIds = new Set<number>();
let unavailable: string | undefined;
let nextId = 0;
let logPath: string | undefined;
const encoder = new TextEncoder();

/** The reaper's program file (as its command line names it). */
const PROGRAM = "_reaper_main.ts";

/** The log file of this process's reaper (`ITKIT_REAPER_LOG`, else a temp file). */
export function reaperLogPath(): string {
  return logPath ??= reaperLogSetting() ??
    `${systemTempDir()}/itkit-reaper-${RUN_ID}.log`;
}

/** Whether this worker has a reaper (spawned, or connected to). */
function running(): boolean {
  return child !== undefined || connection !== undefined;
}

/**
 * Starts the reaper once, if this process may spawn it, or connects to the
 * one another worker of this process started. Call it where the process
 * still has its permissions: at module load, from `prepare`.
 *
 * @returns Whether the reaper is running.
 * @throws {TypeError} When `ITKIT_REAPER` or `ITKIT_REAPER_LOG` is malformed.
 */
export function startReaper(): boolean {
  if (running()) return true;
  if (unavailable !== undefined) return false;
  const main = new URL(`./${PROGRAM}`, import.meta.url);
  // A malformed ITKIT_REAPER or ITKIT_REAPER_LOG is the user's error to
  // see, not a reason to run without a reaper: it throws here.
  if (!isReaperEnabled()) {
    unavailable = "turned off by ITKIT_REAPER";
    return false;
  }
  reaperLogPath();
  try {
    const { state } = Deno.permissions.querySync({
      name: "run",
      command: Deno.execPath(),
    });
    if (state !== "granted") {
      unavailable = "no permission to run deno";
      return false;
    }
    // A reaper that cannot log could not say what it failed to remove: then
    // fixtures remove inline, and the user is told why (once, now).
    const notWritable = logNotWritable();
    if (notWritable !== undefined) {
      unavailable = notWritable;
      console.error(
        `itkit: no reaper for this process: ${notWritable}; fixtures remove what they create themselves, and a killed run leaves it for the sweep`,
      );
      return false;
    }
    // Named like a temp dir with the prefix `ready-`: `sweep()` finds it.
    readyPath = `${systemTempDir()}/ready-itkit-${RUN_ID}-${Deno.pid}`;
    const claim = claimHelper("reaper", PROGRAM, (place) => {
      spawnedPlace = place;
      // All permissions: it removes what any fixture made, and reads
      // /proc/<pid> (which Deno grants only with --allow-all) to wait for
      // helpers.
      return spawnHelper(main, {
        flags: ["--allow-all"],
        args: [
          reaperLogPath(),
          String(Deno.pid),
          readyPath,
          ...(place ? [place.socket, place.marker] : []),
        ],
      });
    });
    if ("connect" in claim) {
      connect(claim.connect, claim.pid);
      return true;
    }
    child = claim.spawned;
  } catch (error) {
    unavailable = String(error);
    return false;
  }
  noteSpawned(child.pid);
  watch(child);
  // It must not keep a finished test process alive; its stdin closes when we
  // end, which is its signal to remove what is left.
  child.unref();
  writer = child.stdin.getWriter();
  reader = child.stdout.getReader();
  // The ready file only now, with the reaper up (it removes the file when it
  // ends): a process killed at any moment leaves none behind. The reaper
  // opens it when it first made something ahead, after our first request.
  try {
    ready = Deno.openSync(readyPath, {
      read: true,
      write: true,
      createNew: true,
      mode: 0o600,
    });
  } catch {
    ready = undefined; // no sync readiness check: `take` asks the reaper
    send({ op: "no-ready" }).catch(() => {}); // the path is not ours
  }
  return true;
}

/**
 * Connects to the reaper another worker of this process spawned. The
 * module's first test waits for the connection (a `beforeAll` hook: outside
 * every test's sanitizers), which the reaper answers with the ready file it
 * made for this worker; requests made before are sent once connected.
 */
function connect(place: { socket: string; marker: string }, pid: number): void {
  const link = connectHelper(
    place,
    pid,
    PROGRAM,
    writeMessage<ReaperRequest>({ op: "hello", runId: RUN_ID }),
  );
  connection = link;
  // An answer that is not a hello of the protocol is a broken reaper, as
  // one gone is.
  const hello = link.hello.then(readReaperReply).then((answer) => {
    if (answer.op !== "hello") {
      throw new Error(`it answered the hello with "${answer.op}"`);
    }
    return answer;
  });
  const connected = hello.then((answer) => {
    if (answer.ready === null) return;
    readyPath = answer.ready;
    try {
      ready = Deno.openSync(readyPath, { read: true });
    } catch {
      ready = undefined; // `take` asks the reaper
    }
  }, (error) => {
    if (connection === link) noticeDeath(`could not be reached: ${error}`);
  });
  const hooks = Deno.test as Partial<typeof Deno.test>;
  if (typeof hooks.beforeAll === "function") hooks.beforeAll(() => connected);
}

/**
 * Why the reaper's log cannot be written (a missing directory, a full disk),
 * or `undefined` when it can (or this process may not write it: the reaper
 * then creates it itself).
 */
function logNotWritable(): string | undefined {
  const log = reaperLogPath();
  const { state } = Deno.permissions.querySync({ name: "write", path: log });
  if (state !== "granted") return undefined;
  try {
    // A real line: a full disk still takes an empty write.
    logFile = Deno.openSync(log, { append: true, create: true });
    writeLine(`process ${Deno.pid} starts its reaper`);
    return undefined;
  } catch (error) {
    logFile?.close();
    logFile = undefined;
    return `its log ${log} cannot be written (${
      error instanceof Error ? error.message : error
    })`;
  }
}

/** How the reaper ended early, once this process has noticed. */
let death: ReaperError | undefined;
/** Whether {@linkcode takeReaperFailure} has handed `death` to a test. */
let deathReported = false;
/** Settles once the reaper's early end has been noticed and described. */
let deathNoticed: Promise<void> | undefined;

/**
 * Notices the reaper ending while this process runs. It never does by
 * itself: it exits only after this process has (its stdin closes). So an
 * end seen here is a death (killed, out of memory, failed to start), and
 * what it printed on stderr (it writes nothing there otherwise) is the why.
 */
function watch(reaper: Deno.ChildProcess): void {
  deathNoticed = reaper.status.then(async (status) => {
    const stderr = await helperStderr(reaper.stderr);
    const how = status.signal !== null
      ? `was killed by ${status.signal}`
      : `exited with code ${status.code}`;
    const said = stderr.split("\n").slice(-5).join(" | ");
    noticeDeath(
      `${how} while this test process was running${said ? `: ${said}` : ""}`,
      reaper.pid,
    );
  });
}

/**
 * Describes the reaper's early end (`how` it ended) and turns fixtures to
 * removing inline.
 */
function noticeDeath(how: string, pid = connection?.pid): void {
  if (death !== undefined) return;
  death = new ReaperError(
    `the reaper (pid ${pid}) ${how}; from now on fixtures remove what they create themselves, and ${alive.size} resource(s) it held may be left (${
      [...alive.values()].map((r) => r.what).join(", ") || "none"
    }); its log: ${reaperLogPath()}`,
  );
  noteInLog(`reaper ${pid} FAILED: ${death.message}`);
  if (child) {
    // What the reaper was to remove when it ended (its ready file; the
    // marker and socket directory other workers found it by) is ours now,
    // we spawned it: removed as the process ends (with the module's
    // permissions; a test's may not reach them).
    const files = [readyPath, ...(spawnedPlace ? [spawnedPlace.marker] : [])];
    const socket = spawnedPlace?.socket;
    globalThis.addEventListener("unload", () => {
      for (const path of files) {
        try {
          if (Deno.lstatSync(path).isFile) Deno.removeSync(path);
        } catch {
          // Gone already, or not ours to remove.
        }
      }
      if (socket === undefined) return;
      try {
        Deno.removeSync(socket);
        Deno.removeSync(socket.replace(/\/[^/]+$/, "")); // only when empty
      } catch {
        // Gone already, or another helper's socket is still there.
      }
    });
  }
  child = undefined;
  writer = undefined;
  reader = undefined;
  connection = undefined;
  unavailable = death.message;
}

/**
 * The reaper's early end, once: the integration test that notices it fails
 * with it (a run must not pass while what the reaper held may leak). A
 * worker that connected to another worker's reaper looks whether it still
 * runs (a read of a /proc file it holds open).
 *
 * @returns The error to fail the current test with, or `undefined`.
 */
export function takeReaperFailure(): ReaperError | undefined {
  if (connection && !connection.alive()) {
    noticeDeath("ended while this test process was running");
  }
  if (death === undefined || deathReported) return undefined;
  deathReported = true;
  return death;
}

/**
 * Says in the log, before this process goes on, that reaper `pid` runs: a
 * short test process can end before its reaper has started and written its
 * own first line, and whoever waits for the reapers (see
 * {@linkcode waitForReapers}) must know it is there. Only where this process
 * may write the log without a prompt; else the reaper's own line says it.
 */
function noteSpawned(pid: number): void {
  noteInLog(`reaper ${pid} spawned (parent ${Deno.pid})`);
}

/**
 * The reaper log, opened for appending when the reaper starts (where this
 * process may write it): a test's narrower permissions do not apply to a
 * file already open, so a death noticed in a test is still said there.
 */
let logFile: Deno.FsFile | undefined;

/** Appends a line to the reaper log, where this process may write it. */
function noteInLog(line: string): void {
  try {
    if (!logFile) {
      const log = reaperLogPath();
      const { state } = Deno.permissions.querySync({
        name: "write",
        path: log,
      });
      if (state !== "granted") return;
      logFile = Deno.openSync(log, { append: true, create: true });
    }
    writeLine(line);
  } catch {
    // Not writable: the reaper creates it and says it started.
  }
}

/** Writes one dated line to the open reaper log. */
function writeLine(line: string): void {
  const bytes = encoder.encode(`${new Date().toISOString()} ${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += logFile!.writeSync(bytes.subarray(written));
  }
}

/** Whether the reaper is running for this process. */
export function reaperRunning(): boolean {
  return running();
}

/**
 * What this process has registered with the reaper and not yet handed off or
 * forgotten: named in the report if the reaper dies.
 */
const alive = new Map<number, ReapedResource>();

async function send(message: ReaperRequest): Promise<void> {
  const bytes = encoder.encode(writeMessage(message) + "\n");
  if (connection) return await connection.write(bytes);
  if (!writer) throw new Error(unavailable ?? "the reaper is not running");
  await writer.write(bytes);
}

/**
 * Sends `message`; when the reaper is gone (the pipe is broken), waits until
 * its end has been noticed and described, and says so.
 *
 * @returns Whether the reaper received it.
 */
async function delivered(message: ReaperRequest): Promise<boolean> {
  if (!running()) return false;
  try {
    await send(message);
    return true;
  } catch (error) {
    if (connection) noticeDeath(`could not be reached: ${error}`);
    await deathNoticed;
    return false;
  }
}

/**
 * Registers a resource before it is created: from now on the reaper removes
 * it if this process ends before handing it off or forgetting it.
 *
 * @param resource What to remove and how.
 * @returns Its id, or `undefined` when no reaper runs (clean up inline).
 */
export async function register<R extends ReapedResource>(
  resource: R,
): Promise<number | undefined> {
  if (!running()) return undefined;
  const id = ++nextId;
  if (!await delivered({ op: "add", id, resource })) return undefined;
  alive.set(id, resource);
  return id;
}

/** Registers a resource and has the reaper create it now; its id. */
function prepareAhead(resource: ReapedResource): number | undefined {
  if (!running()) return undefined;
  const id = ++nextId;
  alive.set(id, resource);
  send({ op: "add", id, resource, create: true }).catch(() => {});
  return id;
}

/** A resource the reaper made ahead, taken by a fixture's setup. */
export interface TakenResource<R extends ReapedResource> {
  /** Its reaper id (hand it off on dispose). */
  id: number;
  /** What the reaper made. */
  resource: R;
}

/** The resources the reaper makes ahead for one fixture declaration. */
export interface MadeAhead<R extends ReapedResource> {
  /**
   * Takes the next one, once the reaper has made it (at once, without asking
   * it, when it has). From the second take on (a declaration started again,
   * e.g. step-scoped), the one after is made as this one is taken.
   *
   * @returns It, or `undefined` when the reaper could not make it: the
   *   caller creates its own.
   */
  take(): Promise<TakenResource<R> | undefined>;
}

/**
 * Has the reaper make one resource now, at module load (off any test's
 * path), for the first start of a declaration. Call it where
 * {@linkcode startReaper} was.
 *
 * @param make A new resource (its remover module exports `create`).
 * @returns The declaration's queue, or `undefined` when no reaper runs.
 */
export function madeAhead<R extends ReapedResource>(
  make: () => R,
): MadeAhead<R> | undefined {
  if (!running()) return undefined;
  const queue: TakenResource<R>[] = [];
  const prepare = (): void => {
    const resource = make();
    const id = prepareAhead(resource);
    if (id !== undefined) queue.push({ id, resource });
  };
  prepare();
  let starts = 0;
  return {
    async take(): Promise<TakenResource<R> | undefined> {
      const next = queue.shift();
      if (starts++ > 0) prepare();
      return next !== undefined && await take(next.id) ? next : undefined;
    },
  };
}

const waiting = new Map<number, (ok: boolean) => void>();
let pumping: Promise<void> | undefined;
let buffered = "";
const decoder = new TextDecoder();
const readyDecoder = new TextDecoder();

/**
 * Reads the reaper's answers while some `take` awaits one, and only then: no
 * read is pending between tests (the op sanitizer would see it).
 */
function pumpAnswers(): Promise<void> {
  return pumping ??= (async () => {
    let gone = false;
    try {
      while (waiting.size > 0) {
        const { value, done } = connection
          ? await connection.read()
          : await reader!.read();
        if (done) {
          gone = true;
          break;
        }
        buffered += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf("\n")) !== -1) {
          const reply = readReaperReply(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          switch (reply.op) {
            case "take":
              waiting.get(reply.id)?.(reply.ok);
              waiting.delete(reply.id);
              break;
            case "hello": // only as the first line, read by connectHelper
              throw new Error("the reaper said hello again");
            default: {
              const unknown: never = reply;
              throw new Error(`unknown reply ${JSON.stringify(unknown)}`);
            }
          }
        }
      }
    } catch {
      gone = true;
    } finally {
      pumping = undefined;
      if (gone) {
        // Its connection closed while this worker lives: it died.
        if (connection) noticeDeath("closed its connection");
        for (const resolve of waiting.values()) resolve(false);
        waiting.clear();
      }
    }
  })();
}

/** Whether the reaper has said (in the ready file) that it made `id`. */
function inReadyFile(id: number): boolean {
  if (readyIds.has(id)) return true;
  if (!ready) return false;
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = ready.readSync(buffer);
    if (n === null || n === 0) break;
    readyTail += readyDecoder.decode(buffer.subarray(0, n));
  }
  const lines = readyTail.split("\n");
  readyTail = lines.pop()!;
  for (const line of lines) readyIds.add(Number(line));
  return readyIds.has(id);
}

/** Lets the link to the reaper keep the event loop alive, or not. */
function ref(on: boolean): void {
  if (connection) on ? connection.ref() : connection.unref();
  else if (on) child?.ref();
  else child?.unref();
}

/** Whether the resource made ahead as `id` exists, once its creation ended. */
async function take(id: number): Promise<boolean> {
  // Said made: the caller's, also when the reaper has died since (its
  // fixture then removes it itself).
  if (inReadyFile(id)) {
    readyIds.delete(id);
    return true;
  }
  if (!running()) return false;
  const answer = new Promise<boolean>((resolve) => waiting.set(id, resolve));
  try {
    await send({ op: "take", id });
  } catch {
    waiting.delete(id);
    return false;
  }
  // An unref'd child's pipes do not keep the event loop alive: ref it while
  // an answer is awaited.
  if (waiting.size === 1) ref(true);
  pumpAnswers();
  try {
    const made = await answer;
    // Not made (or the reaper is gone before answering: then it stays named
    // in the report of the reaper's death).
    if (!made && running()) alive.delete(id);
    return made;
  } finally {
    if (waiting.size === 0) ref(false);
  }
}

/**
 * Hands a registered resource off: the reaper removes it now, off the
 * test's path; the caller does not wait for the removal.
 *
 * @param id The id from {@linkcode register}.
 * @returns Whether the reaper took it; `false` when it has died: the caller
 *   removes the resource itself.
 */
export async function handOff(id: number): Promise<boolean> {
  if (!await delivered({ op: "remove", id })) return false;
  alive.delete(id);
  return true;
}

/**
 * Forgets a registered resource the caller removed itself.
 *
 * @param id The id from {@linkcode register}.
 */
export async function forget(id: number): Promise<void> {
  alive.delete(id);
  await delivered({ op: "forget", id });
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
  delivered({ op: "helper", pid });
}

/** What the reapers (and clone helpers) that wrote to a log did. */
export interface ReaperReport {
  /**
   * Lines of what failed: removals, and reapers or helpers that ended before
   * finishing their work (killed, or unable to start).
   */
  failed: string[];
  /** How many resources they removed. */
  removed: number;
  /** Reapers and helpers still running when the wait gave up. */
  running: number[];
}

/**
 * Waits until every reaper, and every database clone helper, that wrote to
 * `log` has said it exited and is gone, so that nothing checks for leftovers
 * while one is still removing them (or still holds a file open). One is
 * counted from its first line: the test process notes each it spawns
 * (`spawned`) before going on, and each says `started` itself. One that is
 * gone without having said it exited did not finish its work: that is a
 * failure of the run, reported with its log. The reapers and helpers of the
 * processes this one runs under are not waited for (they end after it: a
 * `cli.ts run` inside a test of a run whose log it shares).
 *
 * @param log The log file they share.
 * @param timeoutMs How long to wait at most.
 * @returns What they did.
 */
export async function waitForReapers(
  log: string,
  timeoutMs = 120_000,
): Promise<ReaperReport> {
  const until = Date.now() + timeoutMs;
  const read = async (): Promise<string> => {
    try {
      return await Deno.readTextFile(log);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return "";
    }
  };
  // A reaper or helper of one of our ancestors (a `cli.ts run` inside a test
  // of a run whose log it shares) ends after us.
  const serving = ancestry();
  let text = await read();
  for (;;) {
    const before = parseLog(text, serving);
    const running: number[] = [];
    for (const { program, started, exited } of Object.values(before)) {
      // Until it is gone, also after its `exited` line: it may still hold a
      // file (the ready file on a temp dir about to be unmounted).
      for (const pid of started) {
        if (runs(pid, program, exited.has(pid))) running.push(pid);
      }
    }
    // Read after looking at the processes: one found gone wrote all its
    // lines by then (one can say it exited and end between a read and the
    // look), and a process noted meanwhile is looked at in the next round.
    text = await read();
    const kinds = parseLog(text, serving);
    const noted = (k: LogKinds) =>
      Object.values(k).reduce((n, { started }) => n + started.size, 0);
    const settled = running.length === 0 && noted(kinds) === noted(before);
    if (settled || Date.now() > until) {
      // Out of time with a process noted since the look: not looked at.
      for (const [kind, { started }] of Object.entries(kinds)) {
        for (const pid of started) {
          if (!before[kind as keyof LogKinds].started.has(pid)) {
            running.push(pid);
          }
        }
      }
      const failed = text.split("\n").filter((l) => / FAILED\b/.test(l));
      for (
        const [kind, { started, exited, reported }] of Object.entries(kinds)
      ) {
        for (const pid of started) {
          if (exited.has(pid) || reported.has(pid) || running.includes(pid)) {
            continue;
          }
          failed.push(
            `${kind} ${pid} FAILED: it ended without finishing its work (no "exited" line; killed, or it could not start); what it ${
              kind === "reaper" ? "held" : "had to drop"
            } may be left; its log: ${log}`,
          );
        }
      }
      return {
        failed,
        // Not the `exited: removed N` lines.
        removed: [...text.matchAll(/^\S+ reaper \d+ removed /gm)].length,
        running,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The files the reapers and clone helpers that wrote to `log` left in the
 * temp dir `dir`: the ready and drops files of the test processes the log
 * names as their parents (`ready-[drops-]itkit-<run id>-<pid>`, also the
 * markers of their shared helpers), and their shared helpers' socket
 * directories (`itkit-<token>-<pid>`), of the test processes that have
 * ended (a live one's are in use). Each is removed by its helper before it
 * exits: call once they are gone (see {@linkcode waitForReapers}).
 *
 * @param log The log file they share.
 * @param dir The temp dir they used.
 * @returns The paths left.
 */
export async function helperFilesLeft(
  log: string,
  dir: string = systemTempDir(),
): Promise<string[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(log);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // The test processes that ended (a live one's files are in use).
  const parents = new Set(
    [...text.matchAll(/^\S+ (?:reaper|helper) \d+ \S+ \(parent (\d+)\)/gm)]
      .map((m) => Number(m[1])).filter((pid) => !processRunning(pid)),
  );
  if (parents.size === 0) return [];
  const left: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const owner = readyFileOwner(entry.name)?.pid ??
        (entry.isDirectory ? helperDirOwner(entry.name) : undefined);
      if (owner !== undefined && parents.has(owner)) {
        left.push(`${dir}/${entry.name}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return left.sort();
}

/** The test process whose helpers' socket directory `name` is, if it is one. */
function helperDirOwner(name: string): number | undefined {
  const match = /^itkit-[0-9a-z]{8,9}[0-9a-f]{4}-(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The reapers and helpers a log names, by kind. */
type LogKinds = Record<
  "reaper" | "helper",
  {
    /** What its command line names. */
    program: string;
    /** Noted as spawned, or said it started. */
    started: Set<number>;
    /** Said it exited. */
    exited: Set<number>;
    /** Its death was noticed and said by its parent. */
    reported: Set<number>;
  }
>;

/**
 * Reads the lines `<time> reaper|helper <pid> <what>` of a reaper log,
 * leaving out the reapers and helpers of the test processes `skip`.
 */
function parseLog(text: string, skip: ReadonlySet<number>): LogKinds {
  const skipped = new Set(
    [...text.matchAll(/^\S+ (?:reaper|helper) (\d+) \S+ \(parent (\d+)\)/gm)]
      .filter((m) => skip.has(Number(m[2])))
      .map((m) => Number(m[1])),
  );
  const pids = (pattern: RegExp): Set<number> =>
    new Set(
      [...text.matchAll(pattern)].map((m) => Number(m[1])).filter((pid) =>
        !skipped.has(pid)
      ),
    );
  return {
    reaper: {
      program: "_reaper_main.ts",
      started: pids(/^\S+ reaper (\d+) (?:spawned|started)\b/gm),
      exited: pids(/^\S+ reaper (\d+) exited\b/gm),
      reported: pids(/^\S+ reaper (\d+) FAILED: /gm),
    },
    helper: {
      program: "_clone_pool_main.ts",
      started: pids(/^\S+ helper (\d+) (?:spawned|started)\b/gm),
      exited: pids(/^\S+ helper (\d+) exited\b/gm),
      reported: new Set<number>(),
    },
  };
}

/** The ancestors of this process (Linux: from /proc; elsewhere none). */
function ancestry(): Set<number> {
  const pids = new Set<number>();
  if (Deno.build.os !== "linux") return pids;
  let pid = Deno.pid;
  try {
    while (pid > 1) {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      pids.add(pid);
    }
  } catch {
    // not ours to read: the ones found so far
  }
  return pids;
}

/**
 * Whether process `pid` still runs `program` (a reaper or helper of ours):
 * not gone, not a zombie, and not a later process that got its pid. Where
 * /proc cannot tell (not Linux), until it said it exited.
 */
function runs(pid: number, program: string, saidExited: boolean): boolean {
  if (Deno.build.os !== "linux") return !saidExited;
  if (!processRunning(pid)) return false;
  try {
    const line = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    // Empty while it exits (its memory goes before it is a zombie): it runs
    // until then.
    if (line === "") return exiting(pid);
    return line.includes(program);
  } catch {
    return processRunning(pid); // gone meanwhile, or not ours to read
  }
}

/** PF_EXITING, of a process's flags (the 9th field of /proc/<pid>/stat). */
const PF_EXITING = 0x4;

/** Whether process `pid` is on its way out and not a zombie (or dead) yet. */
function exiting(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The fields after the command name: state, ppid, …, flags (7th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const dead = fields[0] === "Z" || fields[0] === "X";
    return !dead && (Number(fields[6]) & PF_EXITING) !== 0;
  } catch {
    return false; // gone
  }
}
