// Internal: the helper process behind `isolation: "database"` (and the
// database of isolation "truncate"), one per test process, shared by its
// workers under `deno test --parallel` (see util/helper_process.ts; the
// worker that spawned it talks over its stdin and stdout, the others over
// its socket). For each worker it keeps clones of each template database
// ready (one per test the worker's module declares for it, at most 64), so
// a test gets its database without waiting for CREATE DATABASE, refills in
// the background (in this process, out of reach of the test's sanitizers),
// and when the worker's connection closes (it ended, or the test process
// died, however it died) drops every clone and schema it handed that worker
// or was told to drop, but its copy for isolation "truncate", kept for the
// next worker; the copies and templates are dropped once no worker is
// connected and the test process has ended, then it exits.
//
// Protocol (per worker): the messages of _clone_protocol.ts, one JSON line
// each. Released clones also come as lines (one name each) appended to the
// worker's drops file (for the spawning worker the first argument, which it
// creates after starting us; for the others one made here), read every 50 ms
// once a `drops` request (or the hello) says it is there; it is removed when
// the worker's connection closes (the worker may be killed between creating
// it and saying so), unless a `no-drops` request says the path is not ours.
//
// In the reaper log (the second argument) it says `helper <pid> started
// (parent <pid>)` first thing, and `helper <pid> exited` once everything is
// dropped: whoever waits for the reapers (waitForReapers) waits for it too,
// and a helper gone without its `exited` line is a failure of the run. A
// line the log cannot take goes to stderr, the first one only (a pipe the
// spawning worker reads only once we ended; see util/helper_stderr.ts).
// Usage: _clone_pool_main.ts <drops file> <log> <parent run id> <parent pid>
// [<socket> <marker>].

import type postgres from "npm:postgres@^4.2.0";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import { RUN_ID, uniqueName } from "../run/naming.ts";
import { systemTempDir } from "../util/env.ts";
import { serveWorkers, type WorkerLink } from "../util/_helper_workers.ts";
import { hold, releaseAll } from "./_lease.ts";
import {
  type CloneReply,
  type CloneRequest,
  readCloneRequest,
} from "./_clone_protocol.ts";
import { unhandled } from "../util/protocol.ts";
import { LogFallback } from "../util/helper_stderr.ts";

/** The spawning worker's drops file (unless it says it is not ours). */
const DROPS_PATH: string | undefined = Deno.args[0] || undefined;
/** The run's reaper log: where a failure to drop something is said. */
const LOG_PATH: string | undefined = Deno.args[1];
/** The test process. */
const OWNER = Number(Deno.args[3] ?? Deno.ppid);
/** The socket other workers of the test process connect to, if shared. */
const SOCKET: string | undefined = Deno.args[4] || undefined;
/** The marker that tells the other workers that we serve `SOCKET`. */
const MARKER: string | undefined = Deno.args[5] || undefined;

/** Where a line the log cannot take goes. */
const stderr = new LogFallback(`helper ${Deno.pid}`);

/**
 * Appends a dated `helper <pid> …` line to the reaper log (one write, with
 * O_APPEND: lines of processes sharing the file stay whole), else says it on
 * stderr (the first such line; the others are counted).
 */
function log(line: string): void {
  const text = `${new Date().toISOString()} helper ${Deno.pid} ${line}\n`;
  try {
    if (LOG_PATH === undefined) throw new Error("no log");
    Deno.writeTextFileSync(LOG_PATH, text, { append: true });
  } catch (error) {
    stderr.failed(text, error);
  }
}

// Like the reaper: a signal to the test's process group must not stop the
// cleanup.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => {});
}
// Before loading postgres.js (seconds on a cold cache): from now on, waiting
// for the reapers waits for us.
log(`started (parent ${OWNER})`);
const loading = loadPostgres();

/** The helper's answer about a shared template (a `template` reply's fields). */
type TemplateAnswer = { database: string } | { build: string } | {
  retry: true;
};

/**
 * A migrated template, shared by every worker of the test process: built
 * once per server and migration (and kind: a truncate template carries the
 * change tracking) by the first worker that asks, while the others wait.
 */
interface SharedTemplate {
  config: PostgresConfig;
  /** Its name (ours: dropped when we exit). */
  database: string;
  /** Set once built. */
  built: boolean;
  /** The worker building it. */
  builder: Worker | undefined;
  /** Workers waiting for it: their answer. */
  waiting: ((answer: TemplateAnswer) => void)[];
}
const sharedTemplates = new Map<string, SharedTemplate>();

/**
 * Answers a worker asking for the template of a migration: its name once
 * built; "build it" (with a name of ours) to the first asker, or to the next
 * one when a build failed or its builder ended; the others wait.
 */
function template(
  worker: Worker,
  request: Extract<CloneRequest, { op: "template" }>,
): Promise<TemplateAnswer> {
  const id = `${postgresUrl(request.config, true)}\n${request.key}`;
  let entry = sharedTemplates.get(id);
  if (entry?.built) return Promise.resolve({ database: entry.database });
  if (entry && entry.builder !== undefined) {
    const building = entry;
    return new Promise((answer) => {
      waitingWorkers.set(answer, worker);
      building.waiting.push(answer);
    });
  }
  entry ??= {
    config: request.config,
    database: "",
    built: false,
    builder: undefined,
    waiting: [],
  };
  sharedTemplates.set(id, entry);
  return Promise.resolve(assignBuild(entry, worker));
}

/** Makes `worker` the builder of `entry`, under a new name of ours. */
function assignBuild(
  entry: SharedTemplate,
  worker: Worker,
): TemplateAnswer {
  entry.builder = worker;
  entry.database = uniqueName("itkit_tpl", "_");
  // Before it exists: a builder killed right after CREATE DATABASE still
  // has it dropped, by us.
  templateNames.set(entry.database, entry.config);
  lease(entry.config, worker).catch(() => {});
  return { build: entry.database };
}

/** The shared templates handed out to be built and not dropped yet. */
const templateNames = new Map<string, PostgresConfig>();

/**
 * The builder says how its build went (or it ended before saying so:
 * `ok` false): the waiters get the template, or the next of them builds.
 */
function templateBuilt(worker: Worker, id: string, ok: boolean): void {
  const entry = sharedTemplates.get(id);
  if (!entry || entry.builder !== worker || entry.built) return;
  entry.builder = undefined;
  if (ok) {
    entry.built = true;
    for (const answer of entry.waiting.splice(0)) {
      answer({ database: entry.database });
    }
    return;
  }
  // Failed: what it made goes (the builder drops it too), and the next
  // waiter tries (a failure is not cached).
  const failedName = entry.database;
  inBackground(
    dropDatabase(entry.config, failedName).then(() =>
      templateNames.delete(failedName)
    ),
  );
  while (entry.waiting.length > 0) {
    const next = entry.waiting.shift()!;
    const nextWorker = waitingWorkers.get(next);
    if (nextWorker && workers.has(nextWorker)) {
      next(assignBuild(entry, nextWorker));
      return;
    }
    next({ retry: true }); // ended meanwhile: nobody reads it
  }
  sharedTemplates.delete(id);
}

/** Which worker each waiting answer belongs to. */
const waitingWorkers = new WeakMap<
  (answer: TemplateAnswer) => void,
  Worker
>();

/** How CREATE DATABASE copies a template (PostgreSQL 15+). */
type Strategy = "WAL_LOG" | "FILE_COPY";
interface Pool {
  config: PostgresConfig;
  template: string;
  size: number;
  ready: string[];
  waiting: ((name: string | Error) => void)[];
  making: number;
  failed: boolean;
  /** How many clones were started. */
  made: number;
  /** Clones the worker will take, by its count of tests. */
  total: number;
  /** Clones handed out so far. */
  taken: number;
  /** Takers waiting for the pool to be full (nothing left to make). */
  filling: (() => void)[];
}

/** What is known of a template: its clones' timings and its size. */
interface TemplateInfo {
  /** How long clones took, by strategy (to pick the faster). */
  timings: Record<Strategy, number[]>;
  /** How many clones were started, from any worker. */
  made: number;
  /** The template's size on disk (asked once, with the first clone). */
  bytes?: Promise<number>;
}

const admins = new Map<string, postgres.Sql>();
/** A database this process drops when done: a clone or a template. */
interface Tracked {
  config: PostgresConfig;
  database: string;
  /** A clone's size on disk (its template's), when known. */
  bytes?: number;
}
const templates = new Map<string, TemplateInfo>();
const decoder = new TextDecoder();

/** One worker of the test process and what it was handed or told to drop. */
interface Worker {
  link: WorkerLink<CloneRequest, CloneReply>;
  /** Its run id (the spawning worker's is the third argument). */
  runId: string | undefined;
  /** Its clones and the databases it made, dropped when it ends. */
  tracked: Map<string, Tracked>;
  /** Its schemas, dropped when it ends. */
  schemas: Map<string, { config: PostgresConfig; schema: string }>;
  /** Its copies (isolation "truncate"): spares for the next workers. */
  copies: Map<string, Copy>;
  /** Its pools of clones, by template. */
  pools: Map<string, Pool>;
  /** Requests being handled. */
  queue: Promise<void>[];
  /** Clones it is done with, not dropped yet (still `tracked`). */
  used: Tracked[];
  /** Until its module's last database test ended: used clones wait. */
  holding: boolean;
  dropping: boolean;
  /** Its drops file, if ours to read and remove. */
  dropsPath: string | undefined;
  /** Whether reading it may start (the worker said it is there). */
  dropsReady: boolean;
  dropsFile?: Deno.FsFile | undefined;
  dropsText: string;
  readingDrops?: Promise<void> | undefined;
  dropsTimer?: ReturnType<typeof setInterval> | undefined;
}

/**
 * The admin client of `config`'s server, once postgres.js has loaded (the
 * requests that need none are answered before: the first template request
 * comes while it loads).
 */
async function admin(config: PostgresConfig): Promise<postgres.Sql> {
  const postgresFactory = await loading;
  const key = postgresUrl(config, true); // with its TLS settings
  let sql = admins.get(key);
  if (!sql) {
    sql = postgresFactory(
      postgresOptions(config, { max: 2 }) as postgres.Options<
        Record<string, postgres.PostgresType>
      >,
    );
    admins.set(key, sql);
  }
  return sql;
}

/**
 * The spawning worker's run (our third argument): what a worker makes is
 * named with its run id, our clones with ours. While we live, we hold the
 * leases of every worker's run and ours on every server we work on (see
 * _lease.ts), taken before we first create anything there: a sweep leaves
 * our clones, and the templates and schemas of the workers that we drop when
 * they end, alone until we are done.
 */
const PARENT_RUN: string | undefined = Deno.args[2];

function lease(config: PostgresConfig, worker: Worker): Promise<boolean> {
  const runs = [RUN_ID];
  if (worker.runId !== undefined) runs.unshift(worker.runId);
  return hold(config, runs);
}

/** Whether the server knows `CREATE DATABASE … STRATEGY` (PostgreSQL 15+). */
const strategies = new Map<postgres.Sql, Promise<boolean>>();

function templateInfo(pool: Pool): TemplateInfo {
  const key = `${postgresUrl(pool.config, true)} ${pool.template}`;
  let info = templates.get(key);
  if (!info) {
    info = { timings: { WAL_LOG: [], FILE_COPY: [] }, made: 0 };
    templates.set(key, info);
  }
  return info;
}

/**
 * The strategy for the next clone: on PostgreSQL 15+ the first clones of a
 * template alternate WAL_LOG (the default) and FILE_COPY, and later ones use
 * whichever was faster for this template on this server.
 */
async function strategyFor(
  info: TemplateInfo,
  sql: postgres.Sql,
): Promise<Strategy | undefined> {
  let known = strategies.get(sql);
  if (!known) {
    known = sql<{ v: number }[]>`
      select current_setting('server_version_num')::int as v`.then(
      (rows) => (rows[0]?.v ?? 0) >= 150000,
      () => false,
    );
    strategies.set(sql, known);
  }
  if (!await known) return undefined;
  const made = info.made++;
  if (made < 4) return made % 2 === 0 ? "WAL_LOG" : "FILE_COPY";
  const { WAL_LOG: wal, FILE_COPY: copy } = info.timings;
  if (wal.length === 0 || copy.length === 0) return "WAL_LOG";
  return median(copy) < median(wal) ? "FILE_COPY" : "WAL_LOG";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function createClone(worker: Worker, pool: Pool): Promise<string> {
  const name = uniqueName("itkit", "_");
  const sql = await admin(pool.config);
  const clone: Tracked = { config: pool.config, database: name };
  worker.tracked.set(name, clone);
  const info = templateInfo(pool);
  try {
    await lease(pool.config, worker).catch(() => {}); // else by age alone
    info.bytes ??= sql<{ bytes: string }[]>`
      select pg_database_size(${pool.template}) as bytes`.then(
      (rows) => Number(rows[0]?.bytes ?? 0),
      () => 0,
    );
    const strategy = await strategyFor(info, sql);
    const started = performance.now();
    await sql.unsafe(
      `create database ${name} template ${pool.template}${
        strategy ? ` strategy ${strategy}` : ""
      }`,
    );
    if (strategy) info.timings[strategy].push(performance.now() - started);
    clone.bytes = await info.bytes;
  } catch (error) {
    worker.tracked.delete(name);
    throw error;
  }
  return name;
}

/**
 * Clones made at once per template and worker: more only slow each other
 * down (and the first taker waits for the first of them), the server copies
 * with a core or two.
 */
const MAKING_AT_ONCE = 2;

function refill(worker: Worker, pool: Pool): void {
  // Create clones, a few at once, until the ready ones, the ones being made
  // and the waiting takers balance out.
  // Never more ahead than the worker has tests left to take them (a clone
  // nobody takes only costs the server time the last tests need).
  const waiting = pool.waiting.length;
  const ahead = Math.min(
    pool.size,
    Math.max(0, pool.total - pool.taken - waiting),
  );
  while (
    pool.making < MAKING_AT_ONCE &&
    pool.ready.length + pool.making < ahead + waiting
  ) {
    pool.making++;
    createClone(worker, pool).then(
      (name) => {
        const waiter = pool.waiting.shift();
        if (waiter) waiter(name);
        else pool.ready.push(name);
      },
      (error) => {
        const waiter = pool.waiting.shift();
        if (waiter) waiter(error as Error);
        pool.failed = true;
      },
    ).finally(() => {
      pool.making--;
      if (!pool.failed) refill(worker, pool);
      if (pool.making === 0) pool.filling.splice(0).forEach((full) => full());
      dropUsed(worker);
    });
    if (pool.failed) break;
  }
}

/** The longest the module's first handout waits for the pool to fill. */
const FILL_WAIT_MS = 5_000;

/** An empty pool of clones of `template`, keeping `size` ready. */
function newPool(
  config: PostgresConfig,
  template: string,
  size: number,
  total = Infinity,
): Pool {
  return {
    config,
    template,
    size,
    ready: [],
    waiting: [],
    making: 0,
    failed: false,
    made: 0,
    total,
    taken: 0,
    filling: [],
  };
}

/** A run id as the toolkit makes them (a worker's hello names its own). */
const RUN_ID_SHAPE = /^[0-9a-z]{8,9}[0-9a-f]{4}$/;

/**
 * Makes the drops file of a worker that connected (named for its run and
 * the test process, like the spawning worker's): made here, so that a worker
 * killed at any moment leaves none we do not know of.
 */
function makeDropsFile(runId: string | undefined): string | undefined {
  if (runId === undefined) return undefined;
  const path = `${systemTempDir()}/ready-drops-itkit-${runId}-${OWNER}`;
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: 0o600 })
      .close();
    return path;
  } catch (error) {
    log(`could not make the drops file ${path}: ${error}`);
    return undefined;
  }
}

async function handle(worker: Worker, request: CloneRequest): Promise<void> {
  const reply = (message: CloneReply): Promise<void> =>
    worker.link.reply(message);
  switch (request.op) {
    case "hello": {
      if (worker.link.n === 0) return; // the spawning worker needs none
      const { runId } = request;
      worker.runId = RUN_ID_SHAPE.test(runId) ? runId : undefined;
      worker.dropsPath = makeDropsFile(worker.runId);
      if (worker.dropsPath !== undefined) startReadingDrops(worker);
      await reply({
        op: "hello",
        pid: Deno.pid,
        drops: worker.dropsPath ?? null,
      });
      return;
    }
    case "template": {
      const answer = await template(worker, request);
      await reply({ op: "template", id: request.id, ...answer });
      return;
    }
    case "template-built":
      templateBuilt(
        worker,
        `${postgresUrl(request.config, true)}\n${request.key}`,
        request.ok,
      );
      return;
    case "lease": {
      const held = await lease(request.config, worker).catch(() => false);
      await reply({ op: "lease", id: request.id, held });
      return;
    }
    case "track": {
      const { config } = request;
      lease(config, worker).catch(() => {});
      if ("schema" in request) {
        worker.schemas.set(`${request.schema} ${config.database}`, {
          config,
          schema: request.schema,
        });
      } else {
        worker.tracked.set(request.database, {
          config,
          database: request.database,
        });
      }
      return;
    }
    case "warm": {
      const { config, template, size, total } = request;
      const pool = newPool(config, template, size, total);
      worker.pools.set(template, pool);
      refill(worker, pool);
      return;
    }
    case "ready": {
      // What is ready now, without waiting: the worker asks while a test
      // ends, so that the next one takes its clone without asking.
      const pool = worker.pools.get(request.template);
      const more = pool ? pool.ready.splice(0) : [];
      if (pool) {
        pool.taken += more.length;
        refill(worker, pool);
      }
      await reply({ op: "ready", id: request.id, more });
      return;
    }
    case "take": {
      const { id, config, template } = request;
      // Without a warmed pool, a clone is made on demand.
      const pool = worker.pools.get(template) ?? newPool(config, template, 0);
      worker.pools.set(template, pool);
      pool.failed = false;
      if (request.fill && pool.making > 0) {
        // The module's first handout: once every clone its tests will take
        // (up to the pool's size) is ready, the later ones wait for none. Not
        // longer than FILL_WAIT_MS: the wait is in the test's setup, within
        // its timeout; the clones made later are taken over as tests end.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((full) => {
          pool.filling.push(full);
          timer = setTimeout(full, FILL_WAIT_MS);
        });
        clearTimeout(timer);
      }
      const ready = pool.ready.shift();
      const name = ready ?? await new Promise<string | Error>((resolve) => {
        pool.waiting.push(resolve);
        refill(worker, pool);
      });
      // The other ready clones go along: the worker hands them to its next
      // tests without asking (and they are dropped here all the same).
      const more = pool.ready.splice(0);
      pool.taken += 1 + more.length;
      refill(worker, pool);
      if (typeof name === "string") {
        await reply({ op: "take", id, database: name, more });
      } else {
        const code = (name as { code?: unknown }).code;
        await reply({
          op: "take",
          id,
          error: String(name.message ?? name),
          ...(typeof code === "string" ? { code } : {}),
        });
      }
      return;
    }
    case "copy": {
      const { id, config, template } = request;
      try {
        await reply({
          op: "copy",
          id,
          ...await copyFor(worker, config, template),
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        await reply({
          op: "copy",
          id,
          error: String((error as Error)?.message ?? error),
          ...(typeof code === "string" ? { code } : {}),
        });
      }
      return;
    }
    case "drop":
      // Fire and forget: the test does not wait; anything not yet dropped
      // when the worker ends is dropped then.
      worker.used.push(
        worker.tracked.get(request.database) ??
          { config: request.config, database: request.database },
      );
      if (request.last) worker.holding = false;
      dropUsed(worker);
      return;
    case "drops":
      if (worker.dropsPath !== undefined) startReadingDrops(worker);
      return;
    case "no-drops":
      worker.dropsPath = undefined;
      return;
    default:
      log(unhandled("clone helper request", request));
  }
}

/**
 * Says in the reaper log that something could not be dropped (a "FAILED"
 * line, which the run's leftover check reports), else on stderr.
 */
function failed(what: string, error: unknown): void {
  log(`FAILED to drop ${what}: ${(error as Error)?.message ?? error}`);
}

/** Reads the worker's drops file every 50 ms from now on. */
function startReadingDrops(worker: Worker): void {
  worker.dropsReady = true;
  worker.dropsTimer ??= setInterval(() => void readDrops(worker), 50);
}

/** Reads the names appended to the worker's drops file since the last read. */
function readDrops(worker: Worker): Promise<void> {
  return worker.readingDrops ??= (async () => {
    try {
      const path = worker.dropsPath;
      if (path === undefined || !worker.dropsReady) return;
      if (worker.dropsFile === undefined) {
        // Never through a link someone else put there.
        if (!(await Deno.lstat(path)).isFile) return;
        worker.dropsFile = await Deno.open(path, { read: true });
      }
      const chunk = new Uint8Array(16_384);
      for (;;) {
        const n = await worker.dropsFile.read(chunk);
        if (!n) break;
        worker.dropsText += decoder.decode(chunk.subarray(0, n), {
          stream: true,
        });
      }
      const names = worker.dropsText.split("\n");
      worker.dropsText = names.pop() ?? "";
      for (const name of names) {
        if (name === FLUSH) {
          worker.holding = false;
          continue;
        }
        const clone = worker.tracked.get(name);
        if (clone) worker.used.push(clone);
      }
      if (names.length > 0) dropUsed(worker);
    } catch {
      // Gone or unreadable: whatever is left is dropped at the end.
    } finally {
      worker.readingDrops = undefined;
    }
  })();
}

/**
 * Used clones left waiting while the module's tests run: a DROP DATABASE
 * takes a checkpoint, which competes with the tests for the machine (on 2
 * cores, a test's release then took 3-6 ms instead of 0.6 ms). As many as a
 * module's ready clones (so that a module of up to 64 database tests runs
 * with no DROP beside it), and no more than USED_KEPT_BYTES on disk: beyond
 * either, they are dropped anyway.
 */
const USED_KEPT = 64;
/**
 * The disk space used clones may keep while waiting (512 MiB), counted as
 * their template's size (what a clone starts with; 0 when the server did not
 * say).
 */
const USED_KEPT_BYTES = 512 * 1024 * 1024;

/** Whether the used clones waiting exceed USED_KEPT or USED_KEPT_BYTES. */
function tooManyUsed(worker: Worker): boolean {
  if (worker.used.length > USED_KEPT) return true;
  let bytes = 0;
  for (const clone of worker.used) bytes += clone.bytes ?? 0;
  return bytes > USED_KEPT_BYTES;
}
/**
 * A line of the drops file that says the module's last database test has
 * ended: until then, released clones written there wait (up to USED_KEPT),
 * so that DROP DATABASE (a checkpoint each) does not compete with the tests
 * for the machine.
 */
const FLUSH = "*";

/** Whether a clone is being made or a test waits for one, for any worker. */
function making(): boolean {
  for (const worker of workers) {
    for (const pool of worker.pools.values()) {
      if (pool.making > 0 || pool.waiting.length > 0) return true;
    }
  }
  return false;
}

/** Drops used clones while nothing is being made (or too many wait). */
function dropUsed(worker: Worker): void {
  if (worker.dropping) return;
  worker.dropping = true;
  inBackground(
    (async () => {
      while (
        worker.used.length > 0 &&
        ((!making() && !worker.holding) || tooManyUsed(worker))
      ) {
        const { config, database } = worker.used.shift()!;
        const sql = await admin(config);
        try {
          await sql`drop database if exists ${sql(database)} with (force)`;
          worker.tracked.delete(database);
        } catch (error) {
          failed(`database ${database}`, error);
        }
      }
    })().finally(() => {
      worker.dropping = false;
    }),
  );
}

/**
 * Drops a database, stopping first a CREATE DATABASE of it that a worker
 * sent just before it died (invisible to DROP until it commits: it then
 * rolls back), and waiting until its backend is gone.
 */
async function dropDatabase(
  config: PostgresConfig,
  database: string,
): Promise<void> {
  const sql = await admin(config);
  // Its own CREATE DATABASE only (not that of `<name>1…`, which another
  // worker's clone may be running on a connection of ours).
  const statement = `create database ${database}`;
  try {
    const creating = () =>
      sql`
      select pid from pg_stat_activity
      where pid <> pg_backend_pid() and state = 'active'
        and (lower(query) = ${statement}
          or starts_with(lower(query), ${`${statement} `}))`;
    for (let i = 0; i < 200; i++) {
      const running = await creating();
      if (running.length === 0) break;
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
        where pid in ${sql(running.map((r) => r.pid as number))}`;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await sql`drop database if exists ${sql(database)} with (force)`;
  } catch (error) {
    failed(`database ${database}`, error);
  }
}

/** A worker's copy of a template (isolation "truncate"): a tracked clone. */
type Copy = Tracked & { template: string };

/**
 * Copies of a template (isolation "truncate": one migrated database per
 * worker, reset after each test) that workers which ended left: the next
 * worker's, instead of a new clone each (a CREATE DATABASE of the migrated
 * template and its DROP cost the server far more than the reset that puts a
 * used copy back). By server and template; dropped when we exit. Each is
 * free once `ready`: the sessions its worker had open there are ended
 * (whatever that worker ran with it is stopped).
 */
const spares = new Map<string, (Copy & { ready: Promise<unknown> })[]>();

function sparesOf(
  config: PostgresConfig,
  template: string,
): (Copy & { ready: Promise<unknown> })[] {
  const key = `${postgresUrl(config, true)}\n${template}`;
  let list = spares.get(key);
  if (!list) spares.set(key, list = []);
  return list;
}

/**
 * The worker's copy of `template`: a spare, else a new clone. The worker
 * resets a spare (`reused`) before its first test: the worker that left it
 * may have died mid-test.
 */
async function copyFor(
  worker: Worker,
  config: PostgresConfig,
  template: string,
): Promise<{ database: string; reused: boolean }> {
  const spare = sparesOf(config, template).shift();
  if (spare !== undefined) {
    const { ready, ...copy } = spare;
    worker.copies.set(copy.database, copy);
    worker.tracked.set(copy.database, copy);
    await ready;
    return { database: copy.database, reused: true };
  }
  const database = await createClone(worker, newPool(config, template, 0));
  worker.copies.set(database, { ...worker.tracked.get(database)!, template });
  return { database, reused: false };
}

/**
 * Work started without anyone awaiting it (a failed template's drop, the
 * drops of used clones, a spare's sessions ended), awaited before the admin
 * clients end at exit: else a drop still under way fails on an ended client.
 */
const background = new Set<Promise<unknown>>();

function inBackground<T>(work: Promise<T>): Promise<T> {
  background.add(work);
  work.finally(() => background.delete(work)).catch(() => {});
  return work;
}

/** The workers connected now. */
const workers = new Set<Worker>();

/**
 * Serves one worker until its connection closes, then drops what it was
 * handed or told to drop: its schemas first, then its clones before the
 * templates it made.
 */
async function serve(
  link: WorkerLink<CloneRequest, CloneReply>,
): Promise<void> {
  const worker: Worker = {
    link,
    runId: link.n === 0 ? PARENT_RUN : undefined,
    tracked: new Map(),
    schemas: new Map(),
    copies: new Map(),
    pools: new Map(),
    queue: [],
    used: [],
    holding: true,
    dropping: false,
    dropsPath: link.n === 0 ? DROPS_PATH : undefined,
    dropsReady: false,
    dropsText: "",
  };
  workers.add(worker);
  try {
    for await (const request of link.requests) {
      worker.queue.push(handle(worker, request).catch(() => {}));
    }
  } finally {
    workers.delete(worker);
  }
  // Templates it was building and never said it built: the next waiter's.
  for (const [id, entry] of sharedTemplates) {
    if (entry.builder === worker) templateBuilt(worker, id, false);
  }
  if (worker.dropsTimer !== undefined) clearInterval(worker.dropsTimer);
  await worker.readingDrops;
  worker.dropsFile?.close();
  if (worker.dropsPath !== undefined) {
    // A file (never a link someone else put there) of ours.
    const path = worker.dropsPath;
    const file = await Deno.lstat(path).catch(() => undefined);
    if (file?.isFile) await Deno.remove(path).catch(() => {});
  }
  for (const { config, schema } of worker.schemas.values()) {
    const sql = await admin(config);
    try {
      await sql`drop schema if exists ${sql(schema)} cascade`;
    } catch (error) {
      failed(`schema ${schema}`, error);
    }
  }
  await Promise.allSettled(worker.queue);
  for (const pool of worker.pools.values()) {
    pool.size = 0;
    while (pool.making > 0) await new Promise((r) => setTimeout(r, 20));
  }
  // Its copies are the next workers' (dropped when we exit), once the
  // sessions it had open there are ended.
  for (const copy of worker.copies.values()) {
    worker.tracked.delete(copy.database);
    const ready = inBackground(
      admin(copy.config).then((sql) =>
        sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = ${copy.database} and pid <> pg_backend_pid()`
      ).catch((error) =>
        log(`could not end the sessions of ${copy.database}: ${error}`)
      ),
    );
    sparesOf(copy.config, copy.template).push({ ...copy, ready });
  }
  const made = new Set([...worker.pools.keys()]);
  const order = [...worker.tracked.values()].sort((a, b) =>
    Number(made.has(a.database)) - Number(made.has(b.database))
  );
  for (const { config, database } of order) {
    await dropDatabase(config, database);
  }
}

await serveWorkers({
  socket: SOCKET,
  marker: MARKER,
  owner: OWNER,
  read: readCloneRequest,
  handle: serve,
  log,
});
// Every worker is gone, with its clones; what was left under way first (a
// failed build's template drop, used clones' drops), then the spare copies
// and the shared templates.
while (background.size > 0) await Promise.allSettled([...background]);
for (const list of spares.values()) {
  for (const { config, database } of list) await dropDatabase(config, database);
}
for (const [database, config] of templateNames) {
  await dropDatabase(config, database);
}
// Only now, with everything dropped: the leases.
await releaseAll();
for (const sql of admins.values()) await sql.end({ timeout: 1 });
// Last: everything is dropped (or said FAILED above).
log("exited");
stderr.end();
