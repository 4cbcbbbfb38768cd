// Internal: the reaper process, one per test process (see reaper.ts). It
// keeps the resources its parent registered; removes a handed-off one at
// once; and when its stdin closes (the parent ended, however it ended)
// removes every one still registered, newest first, then exits. It runs in
// its own session and ignores SIGINT, SIGTERM and SIGHUP, so a signal to the
// parent's process group does not stop it. Everything it does, and every
// failure, goes to the log file (its stdout and stderr are closed).
//
// Protocol: JSON lines on stdin: {op:"add", id, resource} | {op:"remove", id}
// | {op:"forget", id}. Usage: _reaper_main.ts <log file> <parent pid>.

import { processAlive as alive, type ReapedResource } from "./reaper.ts";
import { lines } from "../util/lines.ts";

const [logFile, parent] = Deno.args;
const log_ = await Deno.open(logFile!, { append: true, create: true });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => log(`ignored ${signal}`));
}
const encoder = new TextEncoder();
let logging: Promise<unknown> = Promise.resolve();

function log(line: string): void {
  const text = `${new Date().toISOString()} reaper ${Deno.pid} ${line}\n`;
  // One write per line, in order (O_APPEND keeps lines of reapers sharing
  // the file whole).
  logging = logging.then(() => log_.write(encoder.encode(text))).catch(
    () => {},
  );
}

type Remover = (resource: ReapedResource) => Promise<void>;
const removers = new Map<string, Promise<Remover>>();
const registered = new Map<number, ReapedResource>();
const removing = new Set<Promise<void>>();
/** Helper processes (pids) that clean up on their own: waited for at exit. */
const helpers = new Set<number>();
let removed = 0;
let failed = 0;

function removerOf(url: string): Promise<Remover> {
  let remover = removers.get(url);
  if (!remover) {
    remover = import(url).then((module) => module.reap as Remover);
    removers.set(url, remover);
  }
  return remover;
}

/** At most this many removals run at once; the rest wait their turn. */
const CONCURRENCY = 4;
let active = 0;
const queue: (() => void)[] = [];

function remove(resource: ReapedResource, why: string): Promise<void> {
  const work = (async () => {
    if (active >= CONCURRENCY) {
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    active++;
    const started = performance.now();
    try {
      await (await removerOf(resource.remover))(resource);
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
  let message: { op: string; id: number; resource?: ReapedResource };
  try {
    message = JSON.parse(line);
  } catch {
    log(`FAILED to read a request: ${JSON.stringify(line)}`);
    return;
  }
  const { op, id } = message;
  if (op === "add" && message.resource) {
    registered.set(id, message.resource);
  } else if (op === "remove") {
    const resource = registered.get(id);
    registered.delete(id);
    if (resource) remove(resource, "handed off");
  } else if (op === "forget") {
    registered.delete(id);
  } else if (op === "helper") {
    helpers.add(id);
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
log(`exited: removed ${removed}, failed ${failed}`);
await logging;
log_.close();
Deno.exit(0);
