// Internal: a run's lease on a PostgreSQL server: a session-level shared
// advisory lock, key (LEASE_CLASS, hash of the run id), held on a connection
// of its own by each process of the run that makes something there: the test
// process (from module load: _lease_request.ts) and the clone helper (for its
// clones and the test process's templates, until it has dropped them).
// Whatever ends that process, SIGKILL included, the server ends its session
// and the lock goes with it: a sweep on any host reads in `pg_locks` (the
// whole server's, readable by any user) which runs are alive, and never
// waits for a lock to do so. The connection's `application_name` says whose
// it is (`itkit lease <run id>...`).
//
// A shared lock: several processes of one run may hold it at once; nothing
// takes it exclusively (a sweep only reads `pg_locks`).

import type postgres from "npm:postgres@^4.2.0";
import type net from "node:net";
import type { PostgresConfig } from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import type { Pg } from "./_shared_pool.ts";
import { leaseSocket } from "./_socket.ts";
import { describe } from "../util/text.ts";

/** The first key of every itkit lease ("itkt"): apart from other locks. */
export const LEASE_CLASS = 0x69746b74;

/** How often a holder checks that its session still holds its locks. */
const CHECK_MS = 5_000;

/** The second key of run `runId`'s lease: FNV-1a of the id, unsigned. */
export function leaseKey(runId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) {
    hash ^= runId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** How a process holds its leases (see {@linkcode hold}). */
export interface HoldOptions {
  /**
   * Whether the connection stops keeping the process alive once the leases
   * are first held (a test process: it ends when its tests do). Until then it
   * is referenced: a setup waits for it.
   */
  unref?: boolean;
  /**
   * Told, once per server, when a check finds the leases gone (the
   * connection was lost) and they cannot be taken again at once; they are
   * tried again at every check.
   */
  onUnheld?: (why: string) => void;
}

interface Holder {
  sql: Pg;
  runIds: Set<string>;
  timer: ReturnType<typeof setInterval> | undefined;
  options: HoldOptions;
  /** Once held: new connections (a lost one taken again) are unreferenced. */
  unref: () => void;
  /** Whether `onUnheld` was told (once per server). */
  told: boolean;
}

/** Holders by server, one connection each. */
const holders = new Map<string, Promise<Holder | undefined>>();
let chain: Promise<unknown> = Promise.resolve();

function serverKey(config: PostgresConfig): string {
  return `${config.host}:${config.port}`;
}

/**
 * Holds the leases of `runIds` on the server from now until this process
 * ends (or {@linkcode releaseAll}), on one connection per server, checked
 * every few seconds (taken again if the session was lost): for the test
 * process (its own run, from module load) and the clone helper. The
 * connection's socket is never cut off (`leaseSocket`).
 *
 * @param config The server.
 * @param runIds The runs.
 * @param options For a test process; the first call for a server sets them.
 * @returns Whether they are held: `false` on a server whose connections
 *   share one session (PGlite over a socket), where a lock would outlive its
 *   holder.
 * @throws When the server cannot be reached.
 */
export function hold(
  config: PostgresConfig,
  runIds: readonly string[],
  options: HoldOptions = {},
): Promise<boolean> {
  const result = chain.then(() => holdNow(config, runIds, options));
  chain = result.catch(() => {});
  return result;
}

async function holdNow(
  config: PostgresConfig,
  runIds: readonly string[],
  options: HoldOptions,
): Promise<boolean> {
  const key = serverKey(config);
  let holder = holders.get(key);
  if (!holder) {
    holder = open(config, options);
    holders.set(key, holder);
    holder.catch(() => holders.delete(key));
  }
  const held = await holder;
  if (!held) return false;
  const missing = runIds.filter((id) => !held.runIds.has(id));
  if (missing.length === 0) return true;
  for (const id of missing) held.runIds.add(id);
  await lock(held);
  if (held.options.unref) held.unref();
  return true;
}

async function open(
  config: PostgresConfig,
  options: HoldOptions,
): Promise<Holder | undefined> {
  const postgres = await loadPostgres();
  const sockets = new Set<net.Socket>();
  let unreferenced = false;
  const sql = postgres({
    ...postgresOptions(config, {
      max: 1,
      fetch_types: false, // no arrays to read: no round trip for them
      connection: { application_name: "itkit lease" },
    }),
    socket: () => {
      const s = leaseSocket(config);
      if (unreferenced) s.unref();
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      return s as unknown as postgres.SocketLike;
    },
  }) as unknown as Pg;
  try {
    const [row] = await sql<{ name: string }[]>`
      select current_setting('application_name') as name`;
    if (row?.name !== "itkit lease") {
      await sql.end({ timeout: 1 });
      return undefined;
    }
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  const holder: Holder = {
    sql,
    runIds: new Set(),
    timer: undefined,
    options,
    unref: () => {
      unreferenced = true;
      for (const s of sockets) s.unref();
    },
    told: false,
  };
  // The session may end under us (a restarted server, a DBA, a connection
  // lost): postgres.js then connects again on the next query, and this takes
  // the locks again. (Started here, at module load in a test process: no
  // test's sanitizer sees the timer.)
  holder.timer = setInterval(() => {
    chain = chain.then(() => check(holder)).catch((error) => {
      if (holder.told) return;
      holder.told = true;
      holder.options.onUnheld?.(describe(error));
    });
  }, CHECK_MS);
  holder.timer.unref(); // never what keeps this process alive
  return holder;
}

/** Takes every lock of `holder` (again) and names the session after them. */
async function lock(holder: Holder): Promise<void> {
  const ids = [...holder.runIds];
  for (const id of ids) await lockOn(holder.sql, id);
  await holder.sql`select set_config('application_name', ${
    `itkit lease ${ids.join(" ")}`.slice(0, 63)
  }, false)`;
}

/**
 * Takes run `runId`'s lease on the session of `sql` (a pool of one
 * connection). Never waits: nothing takes the lock exclusively.
 *
 * @param sql The connection.
 * @param runId The run.
 */
export async function lockOn(sql: Pg, runId: string): Promise<void> {
  await sql`
    select pg_try_advisory_lock_shared(${LEASE_CLASS}::int4, ${
    leaseKey(runId) | 0
  }::int4)`;
}

async function check(holder: Holder): Promise<void> {
  const [row] = await holder.sql<{ n: number }[]>`
    select count(*)::int as n from pg_locks
    where pid = pg_backend_pid() and locktype = 'advisory'
      and classid = ${LEASE_CLASS}::oid and objsubid = 2`;
  if ((row?.n ?? 0) < holder.runIds.size) await lock(holder);
}

/** Lets go of every lease this process holds (a helper about to exit). */
export async function releaseAll(): Promise<void> {
  const all = await Promise.all(
    [...holders.values()].map((h) => h.catch(() => undefined)),
  );
  holders.clear();
  for (const holder of all) {
    if (!holder) continue;
    clearInterval(holder.timer);
    await holder.sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * Which of `runIds` are alive on the server `sql` is connected to: those
 * whose lease some session holds, or that a session names in its
 * `application_name` (the test process's pool: `itkit <run id>`). Read from
 * the server's views; takes no lock and waits for none.
 *
 * @param sql A connection to any database of the server.
 * @param runIds The runs in question.
 * @returns The live ones.
 */
export async function liveRuns(
  sql: Pg,
  runIds: Iterable<string>,
): Promise<Set<string>> {
  const rows = await sql<{ key: string | null; name: string | null }[]>`
    select objid::text as key, null::text as name from pg_locks
    where locktype = 'advisory' and granted and objsubid = 2
      and classid = ${LEASE_CLASS}::oid
    union all
    select null, application_name from pg_stat_activity
    where application_name like 'itkit %'`;
  const keys = new Set<string>();
  const named = new Set<string>();
  for (const { key, name } of rows) {
    if (key !== null) keys.add(key);
    if (name !== null) { for (const word of name.split(" ")) named.add(word); }
  }
  const live = new Set<string>();
  for (const id of runIds) {
    if (keys.has(String(leaseKey(id))) || named.has(id)) live.add(id);
  }
  return live;
}
