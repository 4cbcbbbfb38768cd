// Internal: the helper process behind `isolation: "database"`, started once
// per test process (see _clone_pool.ts). It keeps clones of each template
// database ready (one per test the module declares for it, at most 64), so a
// test gets its database without waiting for CREATE DATABASE, refills in the
// background (in this process, out of reach
// of the test's sanitizers), and when its stdin closes (the test process
// ended, however it ended) drops every clone and template it knows about.
//
// Protocol: JSON lines. In: {op:"track"|"warm"|"take"|"ready"|"drop"|"drops"|
// "lease", id, config, template?, database?, size?, total?, fill?}. Out, for
// take: {id, database?, more?, error?}, `more` the other ready clones, handed
// over with it; for ready: {id, more} (the ready clones, handed over, maybe
// none); for lease: {id, held}.
// Released clones also come as lines (one name each) appended to the drops
// file (the first argument, which the parent creates after starting us), read
// every 50 ms once a `drops` request says the parent created it; this process
// removes it when it ends (the parent may be killed between creating it and
// saying so), unless a `no-drops` request says the path is not ours.
//
// In the reaper log (the second argument) it says `helper <pid> started
// (parent <pid>)` first thing, and `helper <pid> exited` once everything is
// dropped: whoever waits for the reapers (waitForReapers) waits for it too,
// and a helper gone without its `exited` line is a failure of the run.

import type postgres from "npm:postgres@^4.2.0";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import { RUN_ID, uniqueName } from "../run/naming.ts";
import { lines } from "../util/lines.ts";
import { hold, releaseAll } from "./_lease.ts";

/** The drops file, and whether it is ours (unless the parent says not). */
const DROPS_PATH: string | undefined = Deno.args[0];
/** The run's reaper log: where a failure to drop something is said. */
const LOG_PATH: string | undefined = Deno.args[1];

/**
 * Appends a dated `helper <pid> …` line to the reaper log (one write, with
 * O_APPEND: lines of processes sharing the file stay whole), else says it on
 * stderr.
 */
function log(line: string): void {
  const text = `${new Date().toISOString()} helper ${Deno.pid} ${line}\n`;
  try {
    if (LOG_PATH === undefined) throw new Error("no log");
    Deno.writeTextFileSync(LOG_PATH, text, { append: true });
  } catch {
    console.error(`itkit: ${text.trimEnd()}`);
  }
}

// Like the reaper: a signal to the test's process group must not stop the
// cleanup.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => {});
}
// Before loading postgres.js (seconds on a cold cache): from now on, waiting
// for the reapers waits for us.
log(`started (parent ${Deno.ppid})`);
const postgresFactory = await loadPostgres();

interface Request {
  op:
    | "track"
    | "warm"
    | "take"
    | "ready"
    | "drop"
    | "drops"
    | "no-drops"
    | "lease";
  id?: number;
  config: PostgresConfig;
  template?: string;
  database?: string;
  schema?: string;
  size?: number;
  /** How many clones the test process will take at most (warm). */
  total?: number;
  /** take: first wait until the ready pool is full. */
  fill?: boolean;
  /** drop: the module's last database test ended. */
  last?: boolean;
}

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
  /** How long clones took, by strategy (to pick the faster). */
  timings: Record<Strategy, number[]>;
  /** How many clones were started. */
  made: number;
  /** Clones the test process will take, by its count of tests. */
  total: number;
  /** Clones handed out so far. */
  taken: number;
  /** Takers waiting for the pool to be full (nothing left to make). */
  filling: (() => void)[];
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
const tracked = new Map<string, Tracked>();
const schemas = new Map<string, { config: PostgresConfig; schema: string }>();
const pools = new Map<string, Pool>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function admin(config: PostgresConfig): postgres.Sql {
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
 * The test process's run (our second argument): what it makes is named with
 * its run id, our clones with ours. While we live, we hold both runs' leases
 * on every server we work on (see _lease.ts), taken before we first create
 * anything there: a sweep leaves our clones, and the templates and schemas of
 * the test process that we drop when it ends, alone until we are done.
 */
const PARENT_RUN: string | undefined = Deno.args[2];

function lease(config: PostgresConfig): Promise<boolean> {
  return hold(config, PARENT_RUN ? [PARENT_RUN, RUN_ID] : [RUN_ID]);
}

async function reply(message: Record<string, unknown>): Promise<void> {
  await Deno.stdout.write(encoder.encode(JSON.stringify(message) + "\n"));
}

/** Whether the server knows `CREATE DATABASE … STRATEGY` (PostgreSQL 15+). */
const strategies = new Map<postgres.Sql, Promise<boolean>>();

/**
 * The strategy for the next clone: on PostgreSQL 15+ the first clones of a
 * template alternate WAL_LOG (the default) and FILE_COPY, and later ones use
 * whichever was faster for this template on this server.
 */
async function strategyFor(
  pool: Pool,
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
  const made = pool.made++;
  if (made < 4) return made % 2 === 0 ? "WAL_LOG" : "FILE_COPY";
  const { WAL_LOG: wal, FILE_COPY: copy } = pool.timings;
  if (wal.length === 0 || copy.length === 0) return "WAL_LOG";
  return median(copy) < median(wal) ? "FILE_COPY" : "WAL_LOG";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function createClone(pool: Pool): Promise<string> {
  const name = uniqueName("itkit", "_");
  const sql = admin(pool.config);
  const clone: Tracked = { config: pool.config, database: name };
  tracked.set(name, clone);
  try {
    await lease(pool.config).catch(() => {}); // else protected by age alone
    pool.bytes ??= sql<{ bytes: string }[]>`
      select pg_database_size(${pool.template}) as bytes`.then(
      (rows) => Number(rows[0]?.bytes ?? 0),
      () => 0,
    );
    const strategy = await strategyFor(pool, sql);
    const started = performance.now();
    await sql.unsafe(
      `create database ${name} template ${pool.template}${
        strategy ? ` strategy ${strategy}` : ""
      }`,
    );
    if (strategy) pool.timings[strategy].push(performance.now() - started);
    clone.bytes = await pool.bytes;
  } catch (error) {
    tracked.delete(name);
    throw error;
  }
  return name;
}

/**
 * Clones made at once per template: more only slow each other down (and the
 * first taker waits for the first of them), the server copies with a core or
 * two.
 */
const MAKING_AT_ONCE = 2;

function refill(pool: Pool): void {
  // Create clones, a few at once, until the ready ones, the ones being made
  // and the waiting takers balance out.
  // Never more ahead than the test process has tests left to take them
  // (a clone nobody takes only costs the server time the last tests need).
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
    createClone(pool).then(
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
      if (!pool.failed) refill(pool);
      if (pool.making === 0) pool.filling.splice(0).forEach((full) => full());
      dropUsed();
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
    timings: { WAL_LOG: [], FILE_COPY: [] },
    made: 0,
    total,
    taken: 0,
    filling: [],
  };
}

async function handle(request: Request): Promise<void> {
  const { op, config } = request;
  if (op === "lease") {
    const held = await lease(config).catch(() => false);
    await reply({ id: request.id, held });
    return;
  }
  if (op === "track") lease(config).catch(() => {});
  if (op === "track" && request.schema) {
    schemas.set(`${request.schema} ${config.database}`, {
      config,
      schema: request.schema,
    });
    return;
  }
  if (op === "track") {
    tracked.set(request.database!, { config, database: request.database! });
    return;
  }
  if (op === "warm") {
    const pool = newPool(
      config,
      request.template!,
      request.size ?? 3,
      request.total,
    );
    pools.set(request.template!, pool);
    refill(pool);
    return;
  }
  if (op === "ready") {
    // What is ready now, without waiting: the test process asks while a
    // test ends, so that the next one takes its clone without asking.
    const pool = pools.get(request.template!);
    const more = pool ? pool.ready.splice(0) : [];
    if (pool) {
      pool.taken += more.length;
      refill(pool);
    }
    await reply({ id: request.id, more });
    return;
  }
  if (op === "take") {
    // Without a warmed pool (isolation "truncate" takes one clone per
    // process), a clone is made on demand.
    const pool = pools.get(request.template!) ??
      newPool(config, request.template!, 0);
    pools.set(request.template!, pool);
    pool.failed = false;
    if (request.fill && pool.making > 0) {
      // The module's first handout: once every clone its tests will take
      // (up to the pool's size) is ready, the later ones wait for none. Not
      // longer than FILL_WAIT_MS: the wait is in the test's setup, within its
      // timeout; the clones made later are taken over as tests end.
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
      refill(pool);
    });
    // The other ready clones go along: the test process hands them to its
    // next tests without asking (and they are dropped here all the same).
    const more = pool.ready.splice(0);
    pool.taken += 1 + more.length;
    refill(pool);
    if (typeof name === "string") {
      await reply({ id: request.id, database: name, more });
    } else {await reply({
        id: request.id,
        error: String(name.message ?? name),
        code: (name as { code?: string }).code,
      });}
    return;
  }
  if (op === "drop") {
    // Fire and forget: the test does not wait; anything not yet dropped when
    // this process ends is dropped then.
    used.push(
      tracked.get(request.database!) ??
        { config, database: request.database! },
    );
    if (request.last) holding = false;
    dropUsed();
  }
  if (op === "drops" && dropsOurs) {
    dropsTimer ??= setInterval(() => void readDrops(), 50);
  }
  if (op === "no-drops") dropsOurs = false;
}

/**
 * Says in the reaper log that something could not be dropped (a "FAILED"
 * line, which the run's leftover check reports), else on stderr.
 */
function failed(what: string, error: unknown): void {
  log(`FAILED to drop ${what}: ${(error as Error)?.message ?? error}`);
}
let dropsOurs = DROPS_PATH !== undefined;
let dropsFile: Deno.FsFile | undefined;
let dropsText = "";
let readingDrops: Promise<void> | undefined;
let dropsTimer: ReturnType<typeof setInterval> | undefined;

/** Reads the names appended to the drops file since the last read. */
function readDrops(): Promise<void> {
  return readingDrops ??= (async () => {
    try {
      if (!dropsOurs) return;
      if (dropsFile === undefined) {
        // Never through a link someone else put there.
        if (!(await Deno.lstat(DROPS_PATH!)).isFile) return;
        dropsFile = await Deno.open(DROPS_PATH!, { read: true });
      }
      const chunk = new Uint8Array(16_384);
      for (;;) {
        const n = await dropsFile.read(chunk);
        if (!n) break;
        dropsText += decoder.decode(chunk.subarray(0, n), { stream: true });
      }
      const names = dropsText.split("\n");
      dropsText = names.pop() ?? "";
      for (const name of names) {
        if (name === FLUSH) {
          holding = false;
          continue;
        }
        const clone = tracked.get(name);
        if (clone) used.push(clone);
      }
      if (names.length > 0) dropUsed();
    } catch {
      // Gone or unreadable: whatever is left is dropped at the end.
    } finally {
      readingDrops = undefined;
    }
  })();
}

/** Clones the tests are done with, not dropped yet (still `tracked`). */
const used: Tracked[] = [];
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
function tooManyUsed(): boolean {
  if (used.length > USED_KEPT) return true;
  let bytes = 0;
  for (const clone of used) bytes += clone.bytes ?? 0;
  return bytes > USED_KEPT_BYTES;
}
/**
 * A line of the drops file that says the module's last database test has
 * ended: until then, released clones written there wait (up to USED_KEPT),
 * so that DROP DATABASE (a checkpoint each) does not compete with the tests
 * for the machine.
 */
const FLUSH = "*";
let holding = true;
let dropping = false;

/** Whether a clone is being made or a test waits for one. */
function making(): boolean {
  for (const pool of pools.values()) {
    if (pool.making > 0 || pool.waiting.length > 0) return true;
  }
  return false;
}

/** Drops used clones while nothing is being made (or too many wait). */
function dropUsed(): void {
  if (dropping) return;
  dropping = true;
  (async () => {
    while (
      used.length > 0 && ((!making() && !holding) || tooManyUsed())
    ) {
      const { config, database } = used.shift()!;
      const sql = admin(config);
      try {
        await sql`drop database if exists ${sql(database)} with (force)`;
        tracked.delete(database);
      } catch (error) {
        failed(`database ${database}`, error);
      }
    }
  })().finally(() => {
    dropping = false;
  });
}

const queue: Promise<void>[] = [];
for await (const line of lines(Deno.stdin.readable)) {
  if (line.trim()) queue.push(handle(JSON.parse(line)).catch(() => {}));
}

// Our parent is gone: drop everything, schemas first, then clones before
// their templates.
if (dropsTimer !== undefined) clearInterval(dropsTimer);
await readingDrops;
dropsFile?.close();
if (dropsOurs) {
  // A file (never a link someone else put there) the parent made.
  const file = await Deno.lstat(DROPS_PATH!).catch(() => undefined);
  if (file?.isFile) await Deno.remove(DROPS_PATH!).catch(() => {});
}
for (const { config, schema } of schemas.values()) {
  const sql = admin(config);
  try {
    await sql`drop schema if exists ${sql(schema)} cascade`;
  } catch (error) {
    failed(`schema ${schema}`, error);
  }
}
await Promise.allSettled(queue);
for (const pool of pools.values()) {
  pool.size = 0;
  while (pool.making > 0) await new Promise((r) => setTimeout(r, 20));
}
const templates = new Set([...pools.keys()]);
const order = [...tracked.values()].sort((a, b) =>
  Number(templates.has(a.database)) - Number(templates.has(b.database))
);
for (const { config, database } of order) {
  const sql = admin(config);
  try {
    // A CREATE DATABASE our parent sent just before it died may still be
    // running: invisible to DROP until it commits. Stop it first (it then
    // rolls back), and wait until its backend is gone.
    const creating = () =>
      sql`
      select pid from pg_stat_activity
      where pid <> pg_backend_pid() and state = 'active'
        and lower(query) like ${`create database ${database}%`}`;
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
// Only now, with everything dropped: the leases.
await releaseAll();
for (const sql of admins.values()) await sql.end({ timeout: 1 });
// Last: everything is dropped (or said FAILED above).
log("exited");
