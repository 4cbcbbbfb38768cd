// Internal: a helper process's side of sharing (see helper_process.ts). The
// worker that spawned the helper talks to it over its stdin and stdout; the
// other workers of the same test process connect to its Unix socket. Each
// connection is handled on its own (what it registered is cleaned up when it
// closes); the helper is done once no connection is left and the test
// process has ended. Each line a worker sends is read as a request of the
// helper's protocol (run/_reaper_protocol.ts, postgres/_clone_protocol.ts);
// one that is not is said FAILED in the log and skipped.

import { lines } from "./lines.ts";
import { processStart, readMarker } from "./helper_process.ts";
import { writeMessage } from "./protocol.ts";
import { describe } from "./text.ts";

/** One worker of the test process, as the helper sees it. */
export interface WorkerLink<Request, Reply extends { readonly op: string }> {
  /** 0 for the worker that spawned the helper (stdin/stdout), then 1, 2, … */
  readonly n: number;
  /** Its requests, each read and checked, until it closes. */
  readonly requests: AsyncIterable<Request>;
  /** Sends it one reply (in order; a closed worker's are dropped). */
  reply(message: Reply): Promise<void>;
}

/** Options of {@linkcode serveWorkers}. */
export interface ServeOptions<Request, Reply extends { readonly op: string }> {
  /** The socket to serve other workers on, if shared. */
  socket: string | undefined;
  /** The marker that names us (removed at the end, if it still does). */
  marker: string | undefined;
  /** The test process. */
  owner: number;
  /** Reads one line as a request; throws for a line that is not one. */
  read(line: string): Request;
  /** Handles one worker: resolves once its lines ended and it is cleaned up. */
  handle(link: WorkerLink<Request, Reply>): Promise<void>;
  /** Says something in the helper's log. */
  log(line: string): void;
}

/**
 * How often an idle helper looks whether the test process has ended: at
 * first every 2 ms (its workers' connections close as it exits: it is gone
 * a moment later), then less and less often, every 100 ms at most.
 */
const OWNER_POLL_MS = [2, 100] as const;

/**
 * Whether the test process still runs: the process of that pid started at
 * `start`, not a zombie (it has exited; its parent has not collected it).
 */
function ownerRuns(owner: number, start: string | undefined): boolean {
  if (start === undefined) return false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${owner}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && fields[0] !== "X" && fields[19] === start;
  } catch {
    return false;
  }
}

/**
 * Serves the spawning worker (stdin/stdout) and, given a socket, every
 * other worker that connects; resolves when none is left and, if shared, the
 * test process has ended (until then a later worker may still connect).
 *
 * @param options What to serve and how.
 */
export async function serveWorkers<
  Request,
  Reply extends { readonly op: string },
>(options: ServeOptions<Request, Reply>): Promise<void> {
  const { owner, handle, log } = options;
  const ownerStart = processStart(owner);
  let listener: Deno.Listener | undefined;
  const { socket, marker } = options;
  if (socket !== undefined) listener = bind(socket, marker, log);
  let active = 0;
  let wake: (() => void) | undefined;
  /** The requests among `lines` (what is not one is said and skipped). */
  async function* requests(
    n: number,
    lines: AsyncIterable<string>,
  ): AsyncGenerator<Request> {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let request: Request;
      try {
        request = options.read(line);
      } catch (error) {
        log(`FAILED to read a request of worker ${n}: ${describe(error)}`);
        continue;
      }
      yield request;
    }
  }
  const run = (n: number, link: Link): void => {
    active++;
    handle({
      n,
      requests: requests(n, link.lines),
      reply: (message) => link.reply(writeMessage(message)),
    }).catch((error) => log(`FAILED (worker ${n}): ${error?.stack ?? error}`))
      .finally(() => {
        active--;
        wake?.();
      });
  };
  run(0, { lines: lines(Deno.stdin.readable), reply: stdoutWriter() });
  let accepting: Promise<void> | undefined;
  if (listener) {
    const served = listener;
    accepting = (async () => {
      let n = 0;
      try {
        for await (const conn of served) {
          run(++n, socketLink(conn));
          wake?.();
        }
      } catch {
        // closed
      }
    })();
  }
  let poll: number = OWNER_POLL_MS[0];
  for (;;) {
    if (active === 0) {
      if (!listener || !ownerRuns(owner, ownerStart)) break;
    } else {
      poll = OWNER_POLL_MS[0];
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      // Idle: look at the test process now and then.
      if (active === 0) {
        timer = setTimeout(resolve, poll);
        poll = Math.min(poll * 2, OWNER_POLL_MS[1]);
      }
    });
    clearTimeout(timer);
    wake = undefined;
  }
  if (listener) {
    listener.close(); // Deno removes the socket file
    await accepting;
    // The directory goes with the last helper's socket.
    try {
      Deno.removeSync(dirname(socket!));
    } catch {
      // another helper's socket is still there
    }
  }
  if (marker !== undefined && readMarker(marker) === Deno.pid) {
    try {
      Deno.removeSync(marker);
    } catch (error) {
      log(`FAILED to remove ${marker}: ${error}`);
    }
  }
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/**
 * Makes the socket's directory, readable and writable by this user only
 * (the process's other helper may have made it: then it must be a directory
 * of this user's, which only this user can enter).
 */
function ownDirectory(dir: string): void {
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = Deno.lstatSync(dir);
  if (
    !info.isDirectory || info.uid !== Deno.uid() ||
    ((info.mode ?? 0) & 0o077) !== 0
  ) {
    throw new Error(`${dir} is not a private directory of this user's`);
  }
}

/**
 * Binds the socket in a directory of this user's only; a socket left there
 * by a killed predecessor is replaced. `undefined` if it cannot be bound:
 * then no other worker connects, and the marker, if it names us, goes (a
 * worker waiting for us stops waiting).
 */
function bind(
  path: string,
  marker: string | undefined,
  log: (line: string) => void,
): Deno.Listener | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    const mask = Deno.umask(0o177);
    try {
      ownDirectory(dirname(path));
      return Deno.listen({ transport: "unix", path });
    } catch (error) {
      const stale = attempt === 0 && error instanceof Deno.errors.AddrInUse &&
        isSocket(path);
      if (stale) {
        try {
          Deno.removeSync(path);
          continue;
        } catch {
          // not ours to remove
        }
      }
      log(`could not serve ${path} (${error}); only its first worker uses it`);
      if (marker !== undefined && readMarker(marker) === Deno.pid) {
        try {
          Deno.removeSync(marker);
        } catch {
          // the worker that waits gives up when we end
        }
      }
      return undefined;
    } finally {
      Deno.umask(mask);
    }
  }
  return undefined;
}

function isSocket(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/** Writes lines to stdout, in order. */
function stdoutWriter(): (line: string) => Promise<void> {
  const encoder = new TextEncoder();
  let chain: Promise<unknown> = Promise.resolve();
  return (line: string): Promise<void> => {
    const done = chain.then(() =>
      writeAll(Deno.stdout, encoder.encode(line + "\n"))
    );
    chain = done.catch(() => {});
    return done;
  };
}

/** A worker's lines, and how to write it one. */
interface Link {
  readonly lines: AsyncIterable<string>;
  reply(line: string): Promise<void>;
}

/** A worker connected to the socket. */
function socketLink(conn: Deno.Conn): Link {
  const encoder = new TextEncoder();
  let chain: Promise<unknown> = Promise.resolve();
  const requests = (async function* (): AsyncGenerator<string> {
    try {
      yield* lines(conn.readable);
    } catch {
      // reset by a process that died: the same as its end
    } finally {
      try {
        conn.close();
      } catch {
        // closed with its stream
      }
    }
  })();
  return {
    lines: requests,
    reply(line: string): Promise<void> {
      const done = chain.then(() =>
        writeAll(conn, encoder.encode(line + "\n"))
      );
      chain = done.catch(() => {});
      return done;
    },
  };
}

async function writeAll(
  to: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await to.write(bytes.subarray(written));
  }
}
