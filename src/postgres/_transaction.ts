// Internal: isolation "transaction": each test in a transaction on one
// connection of the process's pool, on a schema migrated once per process
// (made with or without a migration), which is the connection's whole search
// path: an unqualified name never reaches the rest of the database. A test
// whose code ends that transaction fails.

import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import { forget, once } from "./_migrations.ts";
import type postgres from "npm:postgres@^4.2.0";
import { type Pg, type SharedPool, sharedPool } from "./_shared_pool.ts";
import { connectionSql } from "./_connection.ts";
import {
  CANCEL_GRACE,
  canTrackSchemas,
  onAbort,
  type Session,
  type SessionInput,
  trackSchema,
} from "./_session.ts";

/**
 * A connection reserved for transaction-isolated tests and kept between them
 * (tests of a module run one at a time): its wrapped client, search path and
 * server process are set up once, not per test.
 */
interface Slot {
  /** The reserved connection. */
  conn: postgres.ReservedSql<Record<string, unknown>>;
  /** What tests are handed: `conn` behind the guard. */
  sql: Pg;
  /** Its server process. */
  pid: number;
  /** The `search_path` it is set to (session-wide). */
  searchPath: string;
  /** Why it cannot be used any more (the server closed it). */
  lost?: string;
  /** The session holding it (0: none). */
  owner: number;
  /** Stops watching its socket (it is given back or ended). */
  forget(): void;
}

/** Idle slots kept per pool: at most {@linkcode KEPT} (a pool has 4). */
const idle = new WeakMap<SharedPool, Slot[]>();
const KEPT = 1;

/** Starts a transaction-isolated session. */
export async function transactionSession(
  input: SessionInput,
): Promise<Session> {
  const pool = sharedPool(input.factory, input.config);
  const unhold = pool.hold();
  try {
    return await start(pool, input, unhold);
  } catch (error) {
    unhold();
    throw error;
  }
}

async function start(
  pool: SharedPool,
  input: SessionInput,
  unhold: () => void,
): Promise<Session> {
  const { config, key } = input;
  // Migrated once per process when the reaper (or the clone helper) drops
  // the schema at exit; else (a standalone fixture, no --allow-run) per
  // session, dropped on close. Without a migration too: the test's names
  // must not resolve to the database's other schemas.
  const shared = canTrackSchemas();
  const [schema, log] = (shared
    ? await once(
      config,
      "migrated schema",
      key,
      () => migrateSchema(pool, input),
    )
    : await migrateSchema(pool, input)).split(" ") as [string, string?];
  const searchPath = schema;
  /** What to drop when the schema must go: it, and its write log. */
  const made = log === undefined ? schema : `${schema}, ${log}`;
  const { slot, started } = await begin(pool, searchPath);
  const session = slot.owner = ++sessions;
  // A cancel that arrives late must not hit the next test on this
  // connection: it is awaited, and the connection is not kept.
  let cancelled: Promise<unknown> | undefined;
  const cancel = (): void => {
    cancelled = pool.sql`select pg_cancel_backend(${slot.pid})`.catch(
      () => {},
    );
  };
  const unsubscribe = onAbort(input.signal, cancel);
  const { conn } = slot;
  const close = async (): Promise<void> => {
    unsubscribe();
    try {
      if (slot.lost !== undefined) {
        // Nothing to roll back, and not reusable; a schema of this session
        // alone is dropped all the same.
        if (!shared) {
          await dropSchemas(pool, made);
        }
        return;
      }
      // One round trip: was the test's transaction ended by the code under
      // test (its start time changed), roll back, and is anything left in
      // the write log (then it was committed outside the transaction). The
      // session's search path is session-wide, so that what runs after a
      // COMMIT still lands in the migrated schema (dropped below).
      let ended = false;
      let leaked = false;
      const tail = `rollback${
        log ? `; select exists(select from ${log}.writes) as leaked` : ""
      }`;
      let beginError: unknown;
      const finish = async (): Promise<void> => {
        let startedAt: string;
        try {
          startedAt = await started;
        } catch (error) {
          // The connection failed under the test's first queries too.
          beginError = error;
          if (slot.lost === undefined) await conn.unsafe("rollback");
          return;
        }
        let results: unknown;
        try {
          results = await conn.unsafe(
            `select transaction_timestamp()::text as now; ${tail}`,
          );
          const now = rowsOf(results).find((r) => "now" in r)?.now;
          ended = now !== startedAt;
        } catch (error) {
          if (slot.lost !== undefined) throw error;
          // An aborted transaction (an error in the test) is still the
          // test's: the first statement failed and nothing else ran.
          results = await conn.unsafe(tail);
        }
        leaked = rowsOf(results).find((r) => "leaked" in r)?.leaked === true;
      };
      // The verdict is awaited in full (a frozen server is bounded by the
      // fixture's cleanup grace): cut short, a COMMIT or a committed write
      // would go unreported. Only after a cancel (the test timed out) may
      // a query the cancel did not stop be given up on.
      const rolledBack = await raceDeadline(
        finish().then(() => true, () => slot.lost === undefined),
        cancelled ? CANCEL_GRACE : Infinity,
        () => false,
      );
      if (slot.owner === session) slot.owner = 0;
      await cancelled;
      if (!rolledBack) {
        // Stuck (a query the cancel did not stop): end the connection; the
        // server rolls back.
        await terminate(pool, slot);
      } else if (ended || leaked || beginError !== undefined || cancelled) {
        await release(pool, slot);
      } else {
        await keep(pool, slot);
      }
      if (beginError !== undefined) {
        // What the test sent behind a BEGIN that failed was not in a
        // transaction: the migrated schema is rebuilt.
        if (shared) forget(config, "migrated schema", key);
        const notDropped = await dropSchemas(pool, made).then(
          () => "",
          (error) => `; ${describe(error)}`,
        );
        throw new Error(
          `Cannot begin the test's transaction: ${
            describe(beginError)
          } (isolation "transaction")${notDropped}`,
          { cause: beginError },
        );
      }
      if (!shared || ended || leaked) {
        if (shared) forget(config, "migrated schema", key);
        await dropSchemas(pool, made);
      }
      if (ended || leaked) {
        const what = ended
          ? "ended the test's transaction (a COMMIT, ROLLBACK or END on the test's connection), so what it wrote after that was committed"
          : "committed writes to the migrated tables outside the test's transaction (on a connection of its own, e.g. a pool opened from db.url)";
        throw new Error(
          `The code under test ${what} (isolation "transaction"); the migrated schema "${schema}" was dropped and is rebuilt for the next test. Code that commits or opens its own connections needs isolation "truncate", "schema" or "database".`,
        );
      }
    } finally {
      if (slot.owner === session) slot.owner = 0;
      unhold();
    }
  };
  return { sql: guarded(slot, session), config, schema, searchPath, close };
}

let sessions = 0;

/**
 * `slot.sql` for one session: the connection is kept for the next test, so a
 * client a test held on to fails once that test has ended instead of
 * querying inside the next test's transaction.
 */
function guarded(slot: Slot, session: number): Pg {
  const check = (): void => {
    if (slot.owner !== session) {
      throw new Error(
        'Cannot query: the test this client was handed to has ended (isolation "transaction")',
      );
    }
  };
  // What it hands out (a reserved client, a transaction's or savepoint's
  // client) is guarded too.
  const guard = (target: Pg): Pg => {
    const proxy: Pg = new Proxy(target, {
      apply(target, self, args): unknown {
        check();
        return Reflect.apply(target, self, args);
      },
      get(target, key): unknown {
        const value = Reflect.get(target, key);
        if (typeof value !== "function" || key === "release") return value;
        if (key === "reserve") {
          return async (): Promise<Pg> => {
            check();
            await Reflect.apply(value, target, []);
            return proxy;
          };
        }
        if (key === "begin" || key === "savepoint") {
          return (...args: unknown[]): unknown => {
            check();
            return Reflect.apply(
              value,
              target,
              args.map((arg) =>
                typeof arg === "function"
                  ? (tx: Pg) => (arg as (tx: Pg) => unknown)(guard(tx))
                  : arg
              ),
            );
          };
        }
        return (...args: unknown[]): unknown => {
          check();
          return Reflect.apply(value, target, args);
        };
      },
    });
    return proxy;
  };
  return guard(slot.sql);
}

/**
 * Begins a test's transaction on a kept connection, else on a newly reserved
 * one (also when the kept one turns out to be gone).
 *
 * @returns The connection and the transaction's start time, which on a kept
 *   connection is not waited for: the test's first query is sent behind the
 *   `BEGIN` on the same connection (pipelined), so the handout costs no round
 *   trip; the end of the test awaits it.
 */
async function begin(
  pool: SharedPool,
  searchPath: string,
): Promise<{ slot: Slot; started: Promise<string> }> {
  const kept = idle.get(pool)?.pop();
  if (kept !== undefined && kept.lost === undefined) {
    try {
      // Its own round trip: a SET in the query that begins the transaction
      // would be rolled back with it.
      if (kept.searchPath !== searchPath) {
        await kept.conn.unsafe(`set search_path to ${searchPath}`);
        kept.searchPath = searchPath;
      }
      const started = kept.conn.unsafe(
        "begin; select transaction_timestamp()::text as started",
      ).then(startedOf);
      started.catch(() => {}); // awaited (and reported) at the test's end
      return { slot: kept, started };
    } catch (error) {
      // Gone while idle (e.g. the server's idle timeout): a new one. A
      // connection that is still there (an error from the server that did
      // not end the session) goes back to the pool.
      const code = (error as { code?: unknown })?.code;
      if (
        kept.lost === undefined && (error as Error)?.name === "PostgresError" &&
        !String(code).startsWith("57P")
      ) {
        await release(pool, kept);
      } else {
        kept.lost ??= "the server closed the connection";
      }
    }
  }
  return await open(pool, searchPath);
}

/** Reserves a connection of the pool for the slots and begins on it. */
async function open(
  pool: SharedPool,
  searchPath: string,
): Promise<{ slot: Slot; started: Promise<string> }> {
  const conn = await pool.reserve();
  let row: { pid: number; port: number | null; started: string };
  try {
    await conn.unsafe(`set search_path to ${searchPath}; set ${OWN} to on`);
    const results = await conn.unsafe(
      "begin; select pg_backend_pid() as pid, inet_client_port() as port, transaction_timestamp()::text as started",
    );
    row = rowsOf(results).find((r) => "started" in r) as typeof row;
  } catch (error) {
    // Back to the pool as it came, unless the connection is gone with it.
    await conn.unsafe(`rollback; reset search_path; reset ${OWN}`).then(
      () => conn.release(),
      () => {},
    );
    throw error;
  }
  const slot: Slot = {
    conn,
    sql: undefined as unknown as Pg,
    pid: row.pid,
    searchPath,
    owner: 0,
    forget: () => {},
  };
  // The server closing this connection is seen on its socket: from then on,
  // queries fail with a clear error instead of reaching postgres.js (which
  // crashes sending on a reserved connection whose socket is gone).
  const socket = row.port === null ? undefined : pool.socketAt(row.port);
  const waiting = new Set<() => void>();
  const onClose = (): void => {
    slot.lost ??= "the server closed the connection";
    for (const listener of [...waiting]) listener();
    waiting.clear();
  };
  socket?.once("close", onClose);
  slot.forget = () => socket?.off("close", onClose);
  slot.sql = connectionSql(conn, {
    begin: "savepoint",
    loss: {
      isLoss: connectionLost,
      mark: () => {
        slot.lost ??= "the server closed the connection";
      },
      onLost: (listener) => {
        if (slot.lost !== undefined) {
          queueMicrotask(listener);
          return () => {};
        }
        waiting.add(listener);
        return () => waiting.delete(listener);
      },
    },
    check: (): void => {
      if (slot.lost !== undefined) {
        throw new Error(
          `Cannot query: ${slot.lost} during the test, and the test's transaction is gone with it (isolation "transaction")`,
        );
      }
      if (slot.owner === 0) {
        throw new Error(
          'Cannot query: the test this client was handed to has ended (isolation "transaction")',
        );
      }
    },
    listenError:
      'Cannot listen() in isolation "transaction": LISTEN needs a connection of its own, which would not see the test\'s transaction; use isolation "truncate", "schema" or "database"',
  });
  return { slot, started: Promise.resolve(row.started) };
}

/**
 * Drops the session's schemas on a connection of the pool. A connection that
 * dies under the query (the pool handed out one whose server process was
 * just ended: a test's, or a DBA's doing) ran nothing: tried again, on
 * another. A schema that cannot be dropped fails the cleanup, naming it.
 */
async function dropSchemas(pool: SharedPool, made: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await pool.sql.unsafe(`drop schema if exists ${made} cascade`);
      return;
    } catch (error) {
      if (attempt < 3 && connectionLost(error)) continue;
      throw new Error(
        `Cannot drop the test's schema ${made.replace(", ", " and ")}: ${
          describe(error)
        } (isolation "transaction")`,
        { cause: error },
      );
    }
  }
}

/**
 * Whether a query's error means its connection is gone: postgres.js's own
 * (closed, ended, destroyed), the socket's (reset, broken pipe, written
 * after its end), or the server ending the session (FATAL, class 57P:
 * terminated by an administrator, shut down).
 */
function connectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; severity?: unknown } | undefined;
  const code = String(e?.code ?? "");
  return /^(CONNECTION_(CLOSED|ENDED|DESTROYED)|ECONNRESET|EPIPE|ERR_STREAM_(DESTROYED|WRITE_AFTER_END))$/
    .test(code) || code.startsWith("57P") || e?.severity === "FATAL";
}

/** Keeps `slot` for the next test, or gives it back to the pool. */
async function keep(pool: SharedPool, slot: Slot): Promise<void> {
  let slots = idle.get(pool);
  if (slots === undefined) idle.set(pool, slots = []);
  if (slots.length < KEPT) {
    slots.push(slot);
    return;
  }
  await release(pool, slot);
}

/**
 * Gives `slot`'s connection back to the pool as the pool opened it (out of
 * any transaction, default search path, not marked as a test's), else ends
 * it.
 */
async function release(pool: SharedPool, slot: Slot): Promise<void> {
  slot.lost ??= "the connection was given back to the pool";
  slot.forget();
  try {
    await slot.conn.unsafe(
      `rollback; reset search_path; reset ${OWN}`,
    );
    slot.conn.release();
  } catch {
    await terminate(pool, slot);
  }
}

/** Ends `slot`'s connection (the server rolls back what it ran). */
async function terminate(pool: SharedPool, slot: Slot): Promise<void> {
  slot.lost ??= "the connection was ended: the test's cleanup was stuck";
  slot.forget();
  await pool.sql`select pg_terminate_backend(${slot.pid})`.catch(() => {});
}

function startedOf(results: unknown): string {
  return rowsOf(results).find((r) => "started" in r)?.started as string;
}

/**
 * The rows of every statement of a multi-statement `unsafe()`: postgres.js
 * returns one result per statement, or just the rows when a single
 * statement returned any.
 */
function rowsOf(results: unknown): Record<string, unknown>[] {
  return (results as unknown[]).flatMap((r) =>
    Array.isArray(r)
      ? r as Record<string, unknown>[]
      : r && typeof r === "object"
      ? [r as Record<string, unknown>]
      : []
  );
}

/**
 * Creates a schema and runs the migration in it (its whole search path), on
 * one connection.
 *
 * @returns `<schema> <write log schema>`, or the schema alone when there is
 *   no migration (no tables to watch).
 */
async function migrateSchema(
  pool: SharedPool,
  input: SessionInput,
): Promise<string> {
  const schema = uniqueName("itkit", "_");
  await trackSchema(input.config, schema);
  if (!input.migrate) {
    await pool.sql.unsafe(`create schema ${schema}`);
    return schema;
  }
  const log = uniqueName("itkit", "_");
  await trackSchema(input.config, log);
  const conn = await pool.reserve();
  try {
    await conn.unsafe(
      `create schema ${schema}; set search_path to ${schema}`,
    );
    try {
      await input.migrate!(
        connectionSql(conn, {
          begin: "transaction",
          listenError: "Cannot listen() in a migration",
        }),
        { config: input.config, searchPath: schema },
      );
    } catch (error) {
      await conn.unsafe(
        `rollback; reset search_path; drop schema if exists ${schema}, ${log} cascade`,
      ).catch(() => {});
      throw new Error(`migration failed: ${describe(error)}`, {
        cause: error,
      });
    }
    // A write log: statement triggers on every migrated table record each
    // write made on another connection (the tests' own connections say
    // which they are: OWN), so what is in it after a test was committed
    // outside the test's transaction.
    await conn.unsafe(`${writeLog(schema, log)}; reset search_path`);
    return `${schema} ${log}`;
  } finally {
    conn.release();
  }
}

/**
 * The setting (a placeholder, settable by any user) that marks the tests' own
 * connections, set once per connection: the write log's triggers skip their
 * writes (rolled back with the test anyway) in their `WHEN` condition,
 * without calling the trigger's function, and the log stays empty (no dead
 * rows for the end-of-test check to scan).
 */
const OWN = "itkit.own";

/** SQL that installs the write log `log` for the tables of `schema`. */
function writeLog(schema: string, log: string): string {
  return `
create schema ${log};
create unlogged table ${log}.writes (t regclass);
create function ${log}.mark() returns trigger language plpgsql as $f$
begin
  insert into ${log}.writes values (TG_RELID);
  return null;
end $f$;
do $d$
declare r record;
begin
  for r in
    select c.oid::regclass as t from pg_class c
    where c.relnamespace = '${schema}'::regnamespace
      and c.relkind in ('r', 'p') and not c.relispartition
  loop
    execute format('create trigger itkit_write after insert or update or delete or truncate on %s for each statement when (current_setting(''${OWN}'', true) is distinct from ''on'') execute function ${log}.mark()', r.t);
  end loop;
end $d$`;
}
