// Internal: the test process's side of the clone pool (see
// _clone_pool_main.ts), one helper per test process, shared by its workers
// under `deno test --parallel` (see util/helper_process.ts). Requests are
// serialized, and each reply is read within the request's own await, so no
// read is left pending across tests.

import type { PostgresConfig } from "./config.ts";
import { reaperLogPath, waitForHelper } from "../run/reaper.ts";
import { RUN_ID } from "../run/naming.ts";
import { systemTempDir } from "../util/env.ts";
import {
  claimHelper,
  connectHelper,
  type HelperConnection,
  helperStderr,
  spawnHelper,
} from "../util/helper_process.ts";
import { writeMessage } from "../util/protocol.ts";
import {
  type CloneAnswer,
  type CloneQuestion,
  type CloneRequest,
  readCloneReply,
} from "./_clone_protocol.ts";

/** The helper, when this worker spawned it. */
let child: Deno.ChildProcess | undefined;
let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
/** The helper another worker of this process spawned, connected to. */
let connection: HelperConnection | undefined;
const decoder = new TextDecoder();
let buffered = "";
let chain: Promise<unknown> = Promise.resolve();
let nextId = 0;
/**
 * Where released clones are written, one name per line, for the helper to
 * drop: a synchronous append (~10 µs) instead of a message on its stdin,
 * whose write resolves only on an event-loop turn (0.1 ms, and several ms on
 * a busy machine), on the test's clock.
 */
let drops: Deno.FsFile | undefined;

/** The helper's program file (as its command line names it). */
const PROGRAM = "_clone_pool_main.ts";

/**
 * Starts the helper once, or connects to the one another worker of this
 * process started. Must run where the process may spawn Deno: at module load
 * for declared fixtures.
 */
export function startClonePool(): void {
  if (child || connection) return;
  const main = new URL(`./${PROGRAM}`, import.meta.url);
  // Named like a temp dir with the prefix `ready-`: `sweep()` finds it.
  const dropsPath =
    `${systemTempDir()}/ready-drops-itkit-${RUN_ID}-${Deno.pid}`;
  try {
    // Its own session (see spawnHelper), so Ctrl-C or SIGTERM to our process
    // group misses it and it still drops its clones when we end. All
    // permissions: it reads /proc to see the test process end, and Deno
    // grants paths under /dev (a temp dir on /dev/shm) to nothing less.
    const claim = claimHelper("clones", PROGRAM, (place) =>
      spawnHelper(main, {
        flags: ["--allow-all"],
        // lease: it holds our run's lease too (see _lease.ts)
        args: [
          dropsPath,
          reaperLogPath(),
          RUN_ID,
          String(Deno.pid),
          ...(place ? [place.socket, place.marker] : []),
        ],
      }));
    if ("connect" in claim) {
      connect(claim.connect, claim.pid);
      return;
    }
    child = claim.spawned;
  } catch (error) {
    throw new Error(
      `Cannot prepare isolation "database": starting its helper process failed (${error}); run deno test with --allow-run (or -A), or use isolation "truncate" or "schema"`,
      { cause: error },
    );
  }
  child.unref();
  noteSpawned(child.pid);
  waitForHelper(child.pid); // reaper: waiting for the reaper waits for us
  writer = child.stdin.getWriter();
  // A plain reader, read only while awaiting a reply: nothing stays pending.
  reader = child.stdout.getReader();
  // The drops file only now, with the helper up (it removes the file when it
  // ends): a process killed at any moment leaves none behind. If the path is
  // taken (not ours), releases are messages.
  try {
    drops = Deno.openSync(dropsPath, {
      write: true,
      append: true,
      createNew: true,
      mode: 0o600,
    });
    send({ op: "drops" }).catch(() => {});
  } catch {
    drops = undefined;
    send({ op: "no-drops" }).catch(() => {});
  }
}

/**
 * Connects to the helper another worker of this process spawned. The
 * module's first test waits for the connection (a `beforeAll` hook: outside
 * every test's sanitizers), which the helper answers with the drops file it
 * made for this worker; requests made before are sent once connected.
 */
function connect(place: { socket: string; marker: string }, pid: number): void {
  const link = connectHelper(
    place,
    pid,
    PROGRAM,
    writeMessage<CloneRequest>({ op: "hello", runId: RUN_ID }),
  );
  connection = link;
  // An answer that is not a hello of the protocol is a broken helper, as
  // one gone is.
  const connected = link.hello.then(readCloneReply).then((answer) => {
    if (answer.op !== "hello" || answer.drops === null) return;
    try {
      drops = Deno.openSync(answer.drops, { write: true, append: true });
    } catch {
      drops = undefined; // releases are messages
    }
  }, () => {
    // Gone: its requests fail, naming it.
  });
  const hooks = Deno.test as Partial<typeof Deno.test>;
  if (typeof hooks.beforeAll === "function") hooks.beforeAll(() => connected);
}

/**
 * Says in the reaper log, before this process goes on, that helper `pid`
 * runs: it says `started` itself only once Deno has started it, and a test
 * process killed meanwhile must not leave it unwaited for (see
 * `waitForReapers`). Only where this process may write the log without a
 * prompt; else the helper's own line says it.
 */
function noteSpawned(pid: number): void {
  const log = reaperLogPath();
  try {
    const { state } = Deno.permissions.querySync({ name: "write", path: log });
    if (state !== "granted") return;
    Deno.writeTextFileSync(
      log,
      `${
        new Date().toISOString()
      } helper ${pid} spawned (parent ${Deno.pid})\n`,
      { append: true },
    );
  } catch {
    // Not writable (a full disk): the helper says it started, or fails to.
  }
}

/** Whether the helper is running (started at module load by a declared fixture). */
export function clonePoolStarted(): boolean {
  return child !== undefined || connection !== undefined;
}

async function send(message: CloneRequest): Promise<void> {
  if (!writer && !connection) startClonePool();
  const bytes = new TextEncoder().encode(writeMessage(message) + "\n");
  if (connection) return await connection.write(bytes);
  await writer!.write(bytes);
}

/** Lets the link to the helper keep the event loop alive, or not. */
function ref(on: boolean): void {
  if (connection) on ? connection.ref() : connection.unref();
  else if (on) child?.ref();
  else child?.unref();
}

/** Asks the helper a question of op `op` and reads its answer (one at a time). */
function request<Op extends CloneQuestion["op"]>(
  op: Op,
  fields: Omit<Extract<CloneQuestion, { op: Op }>, "op" | "id">,
): Promise<CloneAnswer<Op>> {
  const result = chain.then(async () => {
    const id = ++nextId;
    // The helper is unref'd (it must not keep a finished test process
    // alive), which unrefs its pipes too: ref it while a reply is awaited.
    ref(true);
    try {
      // (TypeScript cannot tell that this is the question of op `op`.)
      const question = { op, ...fields, id } as unknown as CloneQuestion;
      return await exchange(question) as CloneAnswer<Op>;
    } finally {
      ref(false);
    }
  });
  chain = result.catch(() => {});
  return result;
}

async function exchange(
  question: CloneQuestion,
): Promise<CloneAnswer<CloneQuestion["op"]>> {
  await send(question);
  for (;;) {
    const newline = buffered.indexOf("\n");
    if (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const reply = readCloneReply(line);
      if (reply.op === "hello" || reply.id !== question.id) continue;
      if (reply.op !== question.op) {
        throw new Error(
          `the database helper process answered "${question.op}" with "${reply.op}"`,
        );
      }
      return reply;
    }
    const { value, done } = connection
      ? await connection.read()
      : await reader!.read();
    if (done) throw await helperGone();
    buffered += decoder.decode(value, { stream: true });
  }
}

/**
 * Has the helper hold this run's lease on the server (see _lease.ts), as it
 * does for its clones: for a standalone fixture, whose process holds none of
 * its own there (see _lease_request.ts).
 *
 * @returns Whether it holds it.
 */
export async function holdLease(config: PostgresConfig): Promise<boolean> {
  const reply = await request("lease", { config });
  return reply.held;
}

/** The helper's answer about a shared template (see `sharedTemplate`). */
export interface TemplateAnswer {
  /** The template, built. */
  database?: string;
  /** The name to build it under: this worker builds it. */
  build?: string;
  /** Its build failed and nobody builds it now: ask again. */
  retry?: boolean;
}

/**
 * Asks the helper for the template of a migration (`key`: its kind and what
 * identifies it) on `config`'s server, shared by every worker of the test
 * process: its name once built (waiting while another worker builds it), or
 * a name for this worker to build it under.
 */
export async function askTemplate(
  config: PostgresConfig,
  key: string,
): Promise<TemplateAnswer> {
  const reply = await request("template", { config, key });
  if ("database" in reply) return { database: reply.database };
  if ("build" in reply) return { build: reply.build };
  return { retry: reply.retry };
}

/** Says how this worker's build of a template (see `askTemplate`) went. */
export function templateBuilt(
  config: PostgresConfig,
  key: string,
  ok: boolean,
): void {
  send({ op: "template-built", config, key, ok }).catch(() => {});
}

/**
 * Drops `name` (a database, or a schema in `config.database`) when the
 * worker ends (or the test process does).
 */
export async function trackUntilExit(
  config: PostgresConfig,
  name: string,
  kind: "database" | "schema" = "database",
): Promise<void> {
  await send(
    kind === "schema"
      ? { op: "track", config, schema: name }
      : { op: "track", config, database: name },
  );
}

/**
 * Keeps `size` clones of `template` ready, and makes none ahead beyond the
 * `total` this process will take (its count of tests).
 */
export async function warm(
  config: PostgresConfig,
  template: string,
  size: number,
  total?: number,
): Promise<void> {
  await send({
    op: "warm",
    config,
    template,
    size,
    ...(total === undefined ? {} : { total }),
  });
}

/**
 * Clones the helper handed over beyond the one asked for, by template: the
 * next tests take them without a round trip to the helper (which still drops
 * them when this process ends).
 */
const handedOver = new Map<string, string[]>();

/** Templates (by server) whose first clone was taken. */
const takenFrom = new Set<string>();

/**
 * Takes a ready clone of `template` (or waits for one): one handed over
 * before, else one from the helper, which hands over the other ready ones
 * with it. The first take waits until the ready pool is full, so that the
 * module's later tests find theirs handed over already. `handedOverNow`
 * sees the ones a reply hands over (not those of {@linkcode takeReady}).
 */
export async function take(
  config: PostgresConfig,
  template: string,
  handedOverNow?: (databases: readonly string[]) => void,
): Promise<string> {
  const key = `${config.host}:${config.port} ${template}`;
  const next = handedOver.get(key)?.shift();
  if (next !== undefined) return next;
  const fill = !takenFrom.has(key);
  takenFrom.add(key);
  const reply = await request("take", { config, template, fill });
  if ("error" in reply) {
    throw Object.assign(new Error(reply.error), { code: reply.code });
  }
  if (reply.more.length) {
    handedOver.set(key, [...handedOver.get(key) ?? [], ...reply.more]);
    handedOverNow?.(reply.more);
  }
  return reply.database;
}

/**
 * This worker's copy of `template` for isolation "truncate": a new clone, or
 * the copy of a worker that ended (`reused`: reset it before use). The
 * helper keeps it for the next worker when this one ends.
 */
export async function copy(
  config: PostgresConfig,
  template: string,
): Promise<{ database: string; reused: boolean }> {
  const reply = await request("copy", { config, template });
  if ("error" in reply) {
    throw Object.assign(new Error(reply.error), { code: reply.code });
  }
  return { database: reply.database, reused: reply.reused };
}

/** The clone of `template` the next {@linkcode take} hands out without asking. */
export function nextHandedOver(
  config: PostgresConfig,
  template: string,
): string | undefined {
  return handedOver.get(`${config.host}:${config.port} ${template}`)?.[0];
}

/**
 * Clones taken over and not handed out yet, below which a test that ends
 * takes over the helper's ready ones: early enough that the helper, which
 * stops making clones while its own ready ones are plenty, starts again
 * before this process runs out.
 */
const TAKE_OVER_BELOW = 4;

/**
 * Takes over the clones of `template` ready now, unless enough taken over
 * before are left, or as many as the `left` tests that may still take one:
 * called while a test ends, so that the next test's handout needs no round
 * trip to the helper.
 */
export async function takeReady(
  config: PostgresConfig,
  template: string,
  left?: number,
): Promise<void> {
  const key = `${config.host}:${config.port} ${template}`;
  const have = handedOver.get(key)?.length ?? 0;
  if (have >= TAKE_OVER_BELOW || (left !== undefined && have >= left)) return;
  const reply = await request("ready", { config, template });
  if (reply.more.length) {
    handedOver.set(key, [...handedOver.get(key) ?? [], ...reply.more]);
  }
}

/**
 * Has the helper drop a clone, without waiting: the test is done with it, and
 * the helper drops whatever is left when the test process ends.
 */
export async function drop(
  config: PostgresConfig,
  database: string,
  last = false,
): Promise<void> {
  if (drops !== undefined) {
    try {
      const line = new TextEncoder().encode(
        `${database}\n${last ? "*\n" : ""}`,
      );
      for (let at = 0; at < line.length;) {
        at += drops.writeSync(line.subarray(at));
      }
      return;
    } catch {
      drops = undefined; // e.g. removed: messages from now on
    }
  }
  await send({ op: "drop", config, database, last });
}

/** The error for a helper that is gone, with what it said on stderr. */
async function helperGone(): Promise<Error> {
  if (connection) {
    return new Error(
      `the database helper process (pid ${connection.pid}) closed its connection`,
    );
  }
  const said = child ? await helperStderr(child.stderr) : "";
  return new Error(
    `the database helper process exited${
      said ? `: ${said.split("\n").slice(-5).join(" | ")}` : ""
    }`,
  );
}
