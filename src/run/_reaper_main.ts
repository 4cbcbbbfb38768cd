// Internal: the reaper process, one per test process (see reaper.ts),
// shared by its workers under `deno test --parallel` (see
// util/helper_process.ts). It keeps the resources each worker registered;
// removes a handed-off one at once; and when a worker's connection closes
// (the worker ended, or the process died, however it died) removes every
// one that worker still has registered, newest first. It exits once no
// worker is connected and the test process has ended. It runs in its own
// session and ignores SIGINT, SIGTERM and SIGHUP, so a signal to the parent's
// process group does not stop it. Everything it does, and every failure,
// goes to the log file. What it writes to a worker is only the answers to
// `take` and to `hello`. Its stderr is a pipe the spawning worker reads only
// once the reaper has ended: only a line the log could not take goes there,
// the first one, and at exit how many more there were (see
// util/helper_stderr.ts).
//
// It also prepares resources ahead: an `add` with `create: true` has it
// create the resource at once (the remover module's `create`), and a later
// `take` is answered once that creation has ended, so that a test's setup is
// a round trip instead of the creation.
//
// Protocol: the messages of _reaper_protocol.ts, one JSON line each (ids are
// the worker's own). When it made a resource ahead it also appends its id to
// the worker's ready file, which the worker reads synchronously (no round
// trip when it is there).
// Usage: _reaper_main.ts <log file> <parent pid> [<ready file> [<socket>
// <marker>]]
// (the spawning worker creates its ready file after starting us).

import {
  readReaperRequest,
  type ReapedResource,
  type ReaperReply,
  type ReaperRequest,
} from "./_reaper_protocol.ts";
import { processRunning as alive } from "./_local_runs.ts";
import { readyFileOwner } from "./naming.ts";
import { systemTempDir } from "../util/env.ts";
import { serveWorkers, type WorkerLink } from "../util/_helper_workers.ts";
import { LogFallback } from "../util/helper_stderr.ts";
import { unhandled } from "../util/protocol.ts";

const [logFile, parent] = Deno.args;
const SOCKET: string | undefined = Deno.args[3] || undefined;
const MARKER: string | undefined = Deno.args[4] || undefined;

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

/** Where a line the log cannot take (a full disk) goes. */
const stderr = new LogFallback(`reaper ${Deno.pid}`);

function log(line: string): void {
  const text = `${new Date().toISOString()} reaper ${Deno.pid} ${line}\n`;
  // One write per line, in order (O_APPEND keeps lines of reapers sharing
  // the file whole). Where the log cannot take it, stderr takes the first
  // such line (the parent reads it if we die), and the exit code says the
  // log is incomplete.
  logging = logging.then(() => writeAllTo(log_, encoder.encode(text))).catch(
    (error) => stderr.failed(text, error),
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

/**
 * What the module a resource names as its `remover` exports (for its own
 * shape of resource: `ReapedDir`, `ReapedSchema`, …).
 */
interface RemoverModule {
  reap(resource: ReapedResource): Promise<void>;
  create?(resource: ReapedResource, signal: AbortSignal): Promise<void>;
}
const removers = new Map<string, Promise<RemoverModule>>();
/** Helper processes (pids) that clean up on their own: waited for at exit. */
const helpers = new Set<number>();
let removed = 0;
let failed = 0;

/** One worker of the test process and what it registered. */
interface Worker {
  /** How the log names it. */
  name: string;
  link: WorkerLink<ReaperRequest, ReaperReply>;
  registered: Map<number, ReapedResource>;
  /** Resources being created ahead: resolve to whether that succeeded. */
  creating: Map<number, Promise<boolean>>;
  /** Its handed-off removals still running. */
  removing: Set<Promise<void>>;
  /**
   * Where the id of each resource made ahead is appended (see reaper.ts);
   * unset when the worker has none (it asks over the connection instead).
   */
  readyFile: string | undefined;
  /** The ready file, opened when first needed. */
  ready?: Promise<Deno.FsFile | undefined>;
}

/**
 * The worker's ready file, opened when first needed: the spawning worker
 * creates its own after starting us; a worker that connected got one made
 * by us. Not there (it could not be created): the worker asks instead.
 */
function readyFileOpen(worker: Worker): Promise<Deno.FsFile | undefined> {
  return worker.ready ??= (async () => {
    const path = worker.readyFile;
    if (path === undefined || !await isPlainFile(path)) return;
    return await Deno.open(path, { append: true }).catch(() => undefined);
  })();
}

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
function create(worker: Worker, id: number, resource: ReapedResource): void {
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
      await noteReady(worker, id, resource);
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
        worker.registered.delete(id);
      }
      log(`could not create ${resource.what} ahead: ${error}`);
      return false;
    } finally {
      creatingNow--;
      createQueue.shift()?.();
    }
  })();
  worker.creating.set(id, work);
  if (!first) firstCreation.set(store, work);
}
const firstCreation = new Map<string, Promise<boolean>>();
let creatingNow = 0;
const createQueue: (() => void)[] = [];

/**
 * Says in the worker's ready file that `id` was made. A failure (a full
 * disk) costs the worker a round trip (its `take` asks over the connection
 * instead) and nothing else: the resource stays registered and is removed in
 * due time.
 */
async function noteReady(
  worker: Worker,
  id: number,
  resource: ReapedResource,
): Promise<void> {
  try {
    const file = await readyFileOpen(worker);
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
async function answerTake(worker: Worker, id: number): Promise<void> {
  const ok = (await worker.creating.get(id)) ?? false;
  worker.creating.delete(id);
  await worker.link.reply({ op: "take", id, ok }).catch(() => {});
}

function remove(
  worker: Worker,
  resource: ReapedResource,
  why: string,
): Promise<void> {
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
  worker.removing.add(work);
  work.finally(() => worker.removing.delete(work));
  return work;
}

/** A run id as the toolkit makes them (a worker's hello names its own). */
const RUN_ID_SHAPE = /^[0-9a-z]{8,9}[0-9a-f]{4}$/;

/**
 * Makes the ready file of a worker that connected (named for its run and
 * the test process, like the spawning worker's): created here, so that a
 * worker killed at any moment leaves none we do not know of.
 */
function makeReadyFile(runId: string): string | undefined {
  if (!RUN_ID_SHAPE.test(runId)) return;
  const path = `${systemTempDir()}/ready-itkit-${runId}-${parent}`;
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: 0o600 })
      .close();
    return path;
  } catch (error) {
    log(`could not make the ready file ${path}: ${error}`);
    return undefined;
  }
}

function handle(worker: Worker, request: ReaperRequest): void {
  const { registered, creating } = worker;
  switch (request.op) {
    case "add":
      registered.set(request.id, request.resource);
      if (request.create) create(worker, request.id, request.resource);
      return;
    case "take":
      answerTake(worker, request.id);
      return;
    case "remove": {
      const { id } = request;
      const resource = registered.get(id);
      registered.delete(id);
      // A resource still being created is removed once it exists.
      if (resource) {
        const made = creating.get(id);
        creating.delete(id);
        if (made) made.then(() => remove(worker, resource, "handed off"));
        else remove(worker, resource, "handed off");
      }
      return;
    }
    case "forget":
      registered.delete(request.id);
      return;
    case "helper":
      helpers.add(request.pid);
      return;
    case "no-ready":
      worker.readyFile = undefined; // not the worker's: neither written nor removed
      return;
    case "hello":
      if (worker.link.n === 0) return; // the spawning worker needs none
      worker.readyFile = makeReadyFile(request.runId);
      worker.name = `worker ${worker.link.n} (run ${request.runId})`;
      worker.link.reply({
        op: "hello",
        pid: Deno.pid,
        ready: worker.readyFile ?? null,
      }).catch(() => {});
      return;
    default:
      log(unhandled("reaper request", request));
  }
}

/**
 * Serves one worker until its connection closes, then removes what it left:
 * its creations finish first (what is removed must exist by then), then its
 * handed-off removals (including those that waited for a creation, started
 * by their creation's earlier `then`), then what is still registered,
 * newest first (a parent directory after its contents); its ready file last.
 */
async function serve(
  link: WorkerLink<ReaperRequest, ReaperReply>,
): Promise<void> {
  const first = Deno.args[2];
  const worker: Worker = {
    name: link.n === 0
      ? `parent ${parent}`
      : `worker ${link.n} of parent ${parent}`,
    link,
    registered: new Map(),
    creating: new Map(),
    removing: new Set(),
    readyFile: link.n === 0 ? first : undefined,
  };
  if (link.n === 0 && first !== undefined) {
    const run = readyFileOwner(first.replace(/^.*\//, ""))?.runId;
    if (run && SOCKET) {
      worker.name = `worker 0 (run ${run}) of parent ${parent}`;
    }
  }
  try {
    for await (const request of link.requests) handle(worker, request);
  } catch (error) {
    log(`FAILED to read from ${worker.name}: ${error}`);
  }
  log(
    `${worker.name} ended; ${worker.registered.size} resource(s) still registered`,
  );
  await Promise.allSettled([...worker.creating.values()]);
  while (worker.removing.size > 0) {
    await Promise.allSettled([...worker.removing]);
  }
  for (const [id, resource] of [...worker.registered].toReversed()) {
    worker.registered.delete(id);
    await remove(worker, resource, "parent ended");
  }
  const ready = await worker.ready;
  ready?.close();
  if (worker.readyFile !== undefined && await isPlainFile(worker.readyFile)) {
    await Deno.remove(worker.readyFile).catch(() => {});
  }
}

log(`started (parent ${parent})`);
await serveWorkers({
  socket: SOCKET,
  marker: MARKER,
  owner: Number(parent),
  read: readReaperRequest,
  handle: serve,
  log,
});

// Every worker is gone, and with them the test process.
for (const pid of helpers) {
  const until = Date.now() + 120_000;
  while (alive(pid) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  log(`helper ${pid} ${alive(pid) ? "still running after 120 s" : "ended"}`);
}
log(`exited: removed ${removed}, failed ${failed}`);
await logging;
log_.close();
stderr.end();
Deno.exit(stderr.broken === undefined ? 0 : 1);
