// Internal: isolation "transaction": each test in a transaction on one
// connection of the process's pool, on a schema migrated once per process.
// A test whose code ends that transaction fails.

import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import { forget, once } from "./_migrations.ts";
import { type SharedPool, sharedPool } from "./_shared_pool.ts";
import { connectionSql } from "./_connection.ts";
import {
  CANCEL_GRACE,
  canTrackSchemas,
  onAbort,
  type Session,
  type SessionInput,
  trackSchema,
} from "./_session.ts";

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
  const { config, migrate, key } = input;
  // Migrated once per process when the reaper (or the clone helper) drops
  // the schema at exit; else (a standalone fixture, no --allow-run) per
  // session, dropped on close.
  const shared = canTrackSchemas();
  const [schema, log] = migrate
    ? (shared
      ? await once(
        config,
        "migrated schema",
        key,
        () => migrateSchema(pool, input),
      )
      : await migrateSchema(pool, input)).split(" ")
    : ["public", undefined];
  const searchPath = schema === "public" ? "public" : `${schema},public`;
  const conn = await pool.sql.reserve();
  let begun: { pid: number; port: number | null; started: string };
  try {
    const results = await conn.unsafe(
      `set search_path to ${searchPath}; begin; select pg_backend_pid() as pid, inet_client_port() as port, transaction_timestamp()::text as started`,
    ) as unknown as { pid: number; port: number | null; started: string }[][];
    begun = rowsOf(results).find((r) => "started" in r) as typeof begun;
  } catch (error) {
    conn.release();
    throw error;
  }
  // The server closing this connection is seen on its socket: from then on,
  // queries fail with a clear error instead of reaching postgres.js (which
  // crashes sending on a reserved connection whose socket is gone).
  let lost: string | undefined;
  const socket = begun.port === null ? undefined : pool.socketAt(begun.port);
  const onClose = (): void => {
    lost ??= "the server closed the connection";
  };
  socket?.once("close", onClose);
  const check = (): void => {
    if (lost !== undefined) {
      throw new Error(
        `Cannot query: ${lost} during the test, and the test's transaction is gone with it (isolation "transaction")`,
      );
    }
  };
  const sql = connectionSql(conn, {
    begin: "savepoint",
    check,
    listenError:
      'Cannot listen() in isolation "transaction": LISTEN needs a connection of its own, which would not see the test\'s transaction; use isolation "truncate", "schema" or "database"',
  });
  const cancel = (): void => {
    pool.sql`select pg_cancel_backend(${begun.pid})`.catch(() => {});
  };
  const unsubscribe = onAbort(input.signal, cancel);
  const close = async (): Promise<void> => {
    unsubscribe();
    socket?.off("close", onClose);
    try {
      if (lost !== undefined) return; // nothing to roll back; not reusable
      // One round trip: was the test's transaction ended by the code under
      // test (its start time changed), roll back, restore the session's
      // search path (session-wide, so that what runs after a COMMIT still
      // lands in the migrated schema, dropped below), and is anything left in
      // the write log (then it was committed outside the transaction).
      let ended = false;
      let leaked = false;
      const tail = `rollback; reset search_path${
        log ? `; select exists(select from ${log}.writes) as leaked` : ""
      }`;
      const finish = async (): Promise<void> => {
        let results: unknown;
        try {
          results = await conn.unsafe(
            `select transaction_timestamp()::text as now; ${tail}`,
          );
          const now = rowsOf(results).find((r) => "now" in r)?.now;
          ended = now !== begun.started;
        } catch (error) {
          if (lost !== undefined) throw error;
          // An aborted transaction (an error in the test) is still the
          // test's: the first statement failed and nothing else ran.
          results = await conn.unsafe(tail);
        }
        leaked = rowsOf(results).find((r) => "leaked" in r)?.leaked === true;
      };
      const rolledBack = await raceDeadline(
        finish().then(() => true, () => lost === undefined),
        CANCEL_GRACE,
        () => false,
      );
      if (!rolledBack) {
        // Stuck (a query the cancel did not stop): end the connection; the
        // server rolls back.
        await pool.sql`select pg_terminate_backend(${begun.pid})`
          .catch(() => {});
      } else {
        conn.release();
      }
      if (log !== undefined && (!shared || ended || leaked)) {
        if (shared) forget(config, "migrated schema", key);
        await pool.sql.unsafe(
          `drop schema if exists ${schema}, ${log} cascade`,
        ).catch(() => {});
      }
      if (ended || leaked) {
        const what = ended
          ? "ended the test's transaction (a COMMIT, ROLLBACK or END on the test's connection), so what it wrote after that was committed"
          : "committed writes to the migrated tables outside the test's transaction (on a connection of its own, e.g. a pool opened from db.url)";
        throw new Error(
          `The code under test ${what} (isolation "transaction")${
            log === undefined
              ? ""
              : `; the migrated schema "${schema}" was dropped and is rebuilt for the next test`
          }. Code that commits or opens its own connections needs isolation "truncate", "schema" or "database".`,
        );
      }
    } finally {
      unhold();
    }
  };
  return { sql, config, schema, searchPath, close };
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

/** Creates a schema and runs the migration in it, on one connection. */
async function migrateSchema(
  pool: SharedPool,
  input: SessionInput,
): Promise<string> {
  const schema = uniqueName("itkit", "_");
  const log = uniqueName("itkit", "_");
  await trackSchema(input.config, schema);
  await trackSchema(input.config, log);
  const conn = await pool.sql.reserve();
  try {
    await conn.unsafe(
      `create schema ${schema}; set search_path to ${schema},public`,
    );
    try {
      await input.migrate!(connectionSql(conn, {
        begin: "transaction",
        listenError: "Cannot listen() in a migration",
      }));
    } catch (error) {
      await conn.unsafe(
        `rollback; reset search_path; drop schema if exists ${schema}, ${log} cascade`,
      ).catch(() => {});
      throw new Error(`migration failed: ${describe(error)}`, {
        cause: error,
      });
    }
    // A write log: statement triggers on every migrated table record each
    // write; the test's own are rolled back with it, so what is left after
    // a test was committed outside its transaction.
    await conn.unsafe(writeLog(schema, log));
    await conn.unsafe("reset search_path");
    return `${schema} ${log}`;
  } finally {
    conn.release();
  }
}

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
    execute format('create trigger itkit_write after insert or update or delete or truncate on %s for each statement execute function ${log}.mark()', r.t);
  end loop;
end $d$;`;
}
