// Internal: the reaper process, one per test process (see reaper.ts). It
// keeps the resources its parent registered; removes a handed-off one at
// once; and when its stdin closes (the parent ended, however it ended)
// removes every one still registered, newest first, then exits. It runs in
// its own session and ignores SIGINT, SIGTERM and SIGHUP, so a signal to the
// parent's process group does not stop it. Everything it does, and every
// failure, goes to the log file (its stderr is closed; its stdout carries only
// the answers to `take`).
//
// It also prepares resources ahead: an `add` with `create: true` has it
// create the resource at once (the remover module's `create`), and a later
// `take` is answered on stdout, one JSON line `{id, ok}`, once that creation
// has ended, so that a test's setup is a round trip instead of the creation.
//
// Protocol: JSON lines on stdin: {op:"add", id, resource, create?} |
// {op:"take", id} | {op:"remove", id} | {op:"forget", id} | {op:"helper", id}
// | {op:"no-ready"} (the parent could not create the ready file).
// When it made a resource ahead it also appends its id to the ready file,
// which the parent reads synchronously (no round trip when it is there).
// Usage: _reaper_main.ts <log file> <parent pid> [<ready file>] (the
// parent creates the ready file after starting us).

import { processAlive as alive, type ReapedResource } from "./reaper.ts";
import { lines } from "../util/lines.ts";
import { systemTempDir } from "../util/env.ts";

const [logFile, parent] = Deno.args;
/** Unset by a `no-ready` request: the parent could not create the file. */
let readyFile: string | undefined = Deno.args[2];
/**
 * Where the id of each resource made ahead is appended (see reaper.ts),
 * opened when first needed: the parent creates it after starting us. Not
 * there (the parent could not create it): the parent asks over the pipe.
 */
let ready: Promise<Deno.FsFile | undefined> | undefined;
function readyFileOpen(): Promise<Deno.FsFile | undefined> {
  return ready ??= (async () => {
    if (readyFile === undefined || !await isPlainFile(readyFile)) return;
    return await Deno.open(readyFile, { append: true }).catch(() => undefined);
  })();
}

/** Whether `path` is a regular file (a symlink is not followed). */
async function isPlainFile(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isFile;
  } catch {
    return false;
  }
}
const log_ = await Deno.open(logFile!, { append: true, create: true });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => log(`ignored ${signal}`));
}
const encoder = new TextEncoder();
let logging: Promise<unknown> = Promise.resolve();

/** The first failure to write the log (a full disk), if any. */
let logBroken: unknown;

function log(line: string): void {
  const text = `${new Date().toISOString()} reaper ${Deno.pid} ${line}\n`;
  // One write per line, in order (O_APPEND keeps lines of reapers sharing
  // the file whole). Where the log cannot take it, stderr does: the parent
  // reads it if we die, and the exit code says the log is incomplete.
  logging = logging.then(() => writeAllTo(log_, encoder.encode(text))).catch(
    (error) => {
      logBroken ??= error;
      console.error(`itkit: ${text.trimEnd()}`);
    },
  );
}

// Whatever goes wrong in here is said in the log, and the work goes on.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log(`FAILED (unhandled): ${event.reason?.stack ?? event.reason}`);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  log(`FAILED (uncaught): ${event.error?.stack ?? event.message}`);
});

type Remover = (resource: ReapedResource) => Promise<void>;
interface RemoverModule {
  reap: Remover;
  create?: (resource: ReapedResource, signal: AbortSignal) => Promise<void>;
}
const removers = new Map<string, Promise<RemoverModule>>();
const registered = new Map<number, ReapedResource>();
/** Resources being created ahead: resolve to whether that succeeded. */
const creating = new Map<number, Promise<boolean>>();
const removing = new Set<Promise<void>>();
/** Helper processes (pids) that clean up on their own: waited for at exit. */
const helpers = new Set<number>();
let removed = 0;
let failed = 0;

/**
 * Changes to the temp dir if our working directory (the parent's) is gone: a
 * throwaway project removed as soon as the tests ended. Deno cannot load an
 * npm package (a remover's postgres.js or AWS SDK) without one; relative
 * paths into a removed directory are gone with it, so nothing is lost.
 */
function ensureWorkingDir(): void {
  try {
    Deno.cwd();
  } catch {
    try {
      Deno.chdir(systemTempDir());
      log(`working directory gone: now ${systemTempDir()}`);
    } catch (error) {
      log(`FAILED to leave the removed working directory: ${error}`);
    }
  }
}

function removerOf(url: string): Promise<RemoverModule> {
  let remover = removers.get(url);
  if (!remover) {
    remover = import(url) as Promise<RemoverModule>;
    removers.set(url, remover);
  }
  return remover;
}

/** At most this many removals run at once; the rest wait their turn. */
const CONCURRENCY = 4;
let active = 0;
const queue: (() => void)[] = [];

/**
 * How long a creation ahead may take, once its module is loaded, before the
 * reaper gives up on it.
 */
const CREATE_TIMEOUT_MS = 10_000;
/**
 * Stores (a remover and its config) that refused a creation or answered it
 * with an error: the rest are not tried (a store that is down, whose tests
 * are ignored, costs one try). A creation that ran out of time does not count.
 */
const unusable = new Map<string, string>();

/** Creates a resource ahead, at most {@linkcode CONCURRENCY} at once. */
function create(id: number, resource: ReapedResource): void {
  const store = `${resource.remover} ${JSON.stringify(resource.config ?? "")}`;
  const first = firstCreation.get(store);
  const work = (async () => {
    // The first creation for a store runs alone: if the store is down, the
    // others are skipped instead of each trying.
    if (first) await first;
    while (creatingNow >= CONCURRENCY) {
      await new Promise<void>((resolve) => createQueue.push(resolve));
    }
    creatingNow++;
    const started = performance.now();
    let signal: AbortSignal | undefined;
    try {
      const failed = unusable.get(store);
      if (failed !== undefined) throw new Error(`skipped: ${failed}`);
      ensureWorkingDir();
      const module = await removerOf(resource.remover);
      if (!module.create) throw new Error("its module cannot create it");
      // The store's budget, from now: loading its module (an SDK, seconds
      // on a cold cache) is not the store's time.
      signal = AbortSignal.timeout(CREATE_TIMEOUT_MS);
      await module.create(resource, signal);
      await noteReady(id, resource);
      log(
        `created ${resource.what} (ahead, ${
          (performance.now() - started).toFixed(1)
        } ms)`,
      );
      return true;
    } catch (error) {
      // An answer (a refusal, an error) means nothing was made: nothing to
      // remove, and the store is not tried again. Timed out, it may have
      // been made (removed at exit), and the store was only slow: the next
      // creation tries it.
      if (signal?.aborted !== true) {
        unusable.set(store, String(error));
        registered.delete(id);
      }
      log(`could not create ${resource.what} ahead: ${error}`);
      return false;
    } finally {
      creatingNow--;
      createQueue.shift()?.();
    }
  })();
  creating.set(id, work);
  if (!first) firstCreation.set(store, work);
}
const firstCreation = new Map<string, Promise<boolean>>();
let creatingNow = 0;
const createQueue: (() => void)[] = [];

/**
 * Says in the ready file that `id` was made. A failure (a full disk) costs
 * the parent a round trip (its `take` asks over the pipe instead) and
 * nothing else: the resource stays registered and is removed in due time.
 */
async function noteReady(id: number, resource: ReapedResource): Promise<void> {
  try {
    const file = await readyFileOpen();
    if (file) await writeAllTo(file, encoder.encode(`${id}\n`));
  } catch (error) {
    log(`could not note ${resource.what} in the ready file: ${error}`);
  }
}

async function writeAllTo(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/** Answers a `take`: whether the resource is there, once its creation ended. */
async function answerTake(id: number): Promise<void> {
  const ok = (await creating.get(id)) ?? false;
  creating.delete(id);
  answers = answers.then(() =>
    writeAll(encoder.encode(JSON.stringify({ id, ok }) + "\n"))
  ).catch(() => {});
}
let answers: Promise<unknown> = Promise.resolve();

async function writeAll(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

function remove(resource: ReapedResource, why: string): Promise<void> {
  const work = (async () => {
    if (active >= CONCURRENCY) {
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    active++;
    const started = performance.now();
    try {
      ensureWorkingDir();
      await (await removerOf(resource.remover)).reap(resource);
      removed++;
      log(
        `removed ${resource.what} (${why}, ${
          (performance.now() - started).toFixed(1)
        } ms)`,
      );
    } catch (error) {
      failed++;
      log(
        `FAILED to remove ${resource.what} (${why}): ${
          (error as Error)?.stack ?? error
        }`,
      );
    } finally {
      active--;
      queue.shift()?.();
    }
  })();
  removing.add(work);
  work.finally(() => removing.delete(work));
  return work;
}

function handle(line: string): void {
  let message: {
    op: string;
    id: number;
    resource?: ReapedResource;
    create?: boolean;
  };
  try {
    message = JSON.parse(line);
  } catch {
    // Not the line itself: a request carries configs with secrets.
    log(`FAILED to read a request of ${line.length} characters`);
    return;
  }
  const { op, id } = message;
  if (op === "add" && message.resource) {
    registered.set(id, message.resource);
    if (message.create) create(id, message.resource);
  } else if (op === "take") {
    answerTake(id);
  } else if (op === "remove") {
    const resource = registered.get(id);
    registered.delete(id);
    // A resource still being created is removed once it exists.
    if (resource) {
      const made = creating.get(id);
      creating.delete(id);
      if (made) made.then(() => remove(resource, "handed off"));
      else remove(resource, "handed off");
    }
  } else if (op === "forget") {
    registered.delete(id);
  } else if (op === "helper") {
    helpers.add(id);
  } else if (op === "no-ready") {
    readyFile = undefined; // not the parent's: neither written nor removed
  }
}

log(`started (parent ${parent})`);
try {
  for await (const line of lines(Deno.stdin.readable)) {
    if (line.trim()) handle(line);
  }
} catch (error) {
  log(`FAILED to read from the parent: ${error}`);
}

// The parent is gone. Finish the handed-off removals, then remove what is
// still registered, newest first (a parent directory after its contents).
log(`parent ${parent} ended; ${registered.size} resource(s) still registered`);
// Creations first (what is removed must exist by then), then handed-off
// removals, including those that waited for a creation (started by their
// creation's earlier `then`, before this wait ends).
await Promise.allSettled([...creating.values()]);
while (removing.size > 0) await Promise.allSettled([...removing]);
for (const [id, resource] of [...registered].toReversed()) {
  registered.delete(id);
  await remove(resource, "parent ended");
}
for (const pid of helpers) {
  const until = Date.now() + 120_000;
  while (alive(pid) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  log(`helper ${pid} ${alive(pid) ? "still running after 120 s" : "ended"}`);
}
if (readyFile !== undefined && await isPlainFile(readyFile)) {
  await Deno.remove(readyFile).catch(() => {});
}
log(`exited: removed ${removed}, failed ${failed}`);
await logging;
log_.close();
if (logBroken !== undefined) {
  console.error(
    `itkit: reaper ${Deno.pid}: its log is incomplete: ${logBroken}`,
  );
}
Deno.exit(logBroken === undefined ? 0 : 1);
