// Internal: what a test is handed instead of a raw postgres.js client: one
// reserved connection shaped like a pool (`begin`, `savepoint`, `reserve`,
// `end`), with a guard that fails queries clearly once the connection is known
// to be gone; or the process's pool, which `end()` leaves open.

import type postgres from "npm:postgres@^4.2.0";
import type { Pg } from "./_shared_pool.ts";

/** How `begin()` behaves on the connection. */
export type BeginMode =
  /** `BEGIN` … `COMMIT` (a migration's own connection). */
  | "transaction"
  /** A savepoint inside the test's transaction. */
  | "savepoint";

/**
 * How a connection that can be lost mid-test (the server ended it) is
 * watched, so that every query on it settles with the guard's error once it
 * is gone, whichever comes first: the query, the connection's error, or its
 * socket closing.
 */
export interface ConnectionLoss {
  /** Whether `error` means the connection is gone (not just a failed query). */
  isLoss(error: unknown): boolean;
  /** Marks the connection gone (the guard's `check` throws from then on). */
  mark(error: unknown): void;
  /**
   * Calls `listener` once the connection is known to be gone (its socket
   * closed); returns the unsubscribe.
   */
  onLost(listener: () => void): () => void;
}

/** Options of {@linkcode connectionSql}. */
export interface ConnectionSqlOptions {
  /** What `begin()` does. */
  begin: BeginMode;
  /** Throws when the connection must not be used any more. */
  check?: () => void;
  /** Settles queries with `check`'s error when the connection is lost. */
  loss?: ConnectionLoss;
  /** What `listen()` says (it needs a connection of its own). */
  listenError: string;
}

/**
 * Wraps a reserved connection: every query goes through `check`, `begin()`
 * and `savepoint()` run on this connection, `reserve()` hands out the same
 * connection, and `end()`/`release()` leave it to the fixture.
 */
export function connectionSql(
  conn: postgres.ReservedSql<Record<string, unknown>>,
  options: ConnectionSqlOptions,
): Pg {
  const check = options.check ?? ((): void => {});
  const loss = options.loss;
  const wrap = <F extends (...args: never[]) => unknown>(fn: F): F =>
    ((...args: Parameters<F>) => {
      check();
      const result = fn(...args);
      return loss ? settleOnLoss(result, loss, check) : result;
    }) as F;
  const sql = wrap(conn as unknown as (...args: never[]) => unknown) as
    & Record<string, unknown>
    & ((...args: never[]) => unknown);
  for (const [key, value] of Object.entries(conn)) {
    sql[key] = typeof value === "function" ? wrap(value.bind(conn)) : value;
  }
  let savepoints = 0;
  const savepoint = async (...args: unknown[]): Promise<unknown> => {
    const fn = args.find((a) => typeof a === "function") as (
      sql: Pg,
    ) => unknown;
    const name = `itkit_sp_${++savepoints}`;
    await (sql as unknown as Pg).unsafe(`savepoint ${name}`);
    try {
      const result = await resolveAll(fn(sql as unknown as Pg));
      await (sql as unknown as Pg).unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      throw await undo(`rollback to savepoint ${name}`, error);
    }
  };
  /**
   * Rolls back after `error`, unless the connection is gone (the server
   * rolled back, and a query sent now could wait on it forever); returns
   * `error` to throw.
   */
  const undo = async (statement: string, error: unknown): Promise<unknown> => {
    try {
      check();
      await (sql as unknown as Pg).unsafe(statement);
    } catch {
      // Gone with the connection: the server rolled it back.
    }
    return error;
  };
  const transaction = async (...args: unknown[]): Promise<unknown> => {
    const fn = args.find((a) => typeof a === "function") as (
      sql: Pg,
    ) => unknown;
    const mode = typeof args[0] === "string" ? ` ${args[0]}` : "";
    await (sql as unknown as Pg).unsafe(`begin${mode}`);
    try {
      const result = await resolveAll(fn(inner));
      await (sql as unknown as Pg).unsafe("commit");
      return result;
    } catch (error) {
      throw await undo("rollback", error);
    }
  };
  // Inside a real transaction, begin() and savepoint() are savepoints.
  const inner = Object.assign(
    ((...args: never[]) => sql(...args)) as unknown as Record<string, unknown>,
    sql,
    { begin: savepoint, savepoint },
  ) as unknown as Pg;
  const self = sql as unknown as Pg;
  Object.assign(sql, {
    begin: options.begin === "savepoint" ? savepoint : transaction,
    savepoint,
    reserve: () => Promise.resolve(Object.assign(self, { release: noop })),
    release: noop,
    end: () => Promise.resolve(),
    close: () => Promise.resolve(),
    listen: () => Promise.reject(new Error(options.listenError)),
  });
  return self;
}

function noop(): void {}

/**
 * `result` (a postgres.js query: a promise that runs when awaited), settling
 * with the guard's error when the connection is lost: a query that failed
 * because of it, or one still queued when the socket closed (postgres.js
 * never settles those on a reserved connection). Its other methods
 * (`values()`, `cursor()` …) stay as they are.
 */
function settleOnLoss<T>(
  result: T,
  loss: ConnectionLoss,
  check: () => void,
): T {
  const query = result as unknown as PromiseLike<unknown> & {
    then: PromiseLike<unknown>["then"];
  };
  if (!query || typeof query.then !== "function") return result;
  const then = query.then;
  query.then = function <A, B>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    const guarded = new Promise<unknown>((resolve, reject) => {
      const fail = (error: unknown): void => {
        try {
          check();
          reject(error);
        } catch (gone) {
          reject(gone);
        }
      };
      const unsubscribe = loss.onLost(() =>
        fail(new Error("the connection was lost"))
      );
      then.call(query, (value: unknown) => {
        unsubscribe();
        resolve(value);
      }, (error: unknown) => {
        unsubscribe();
        if (loss.isLoss(error)) loss.mark(error);
        fail(error);
      });
    });
    return guarded.then(onFulfilled, onRejected);
  };
  return result;
}

/** Like postgres.js: an array of queries returned from begin() is awaited. */
async function resolveAll(value: unknown): Promise<unknown> {
  return Array.isArray(value) ? await Promise.all(value) : await value;
}

/** The pool as the test sees it: `end()` leaves it open for the next test. */
export function shared(pool: Pg): Pg {
  const sql =
    ((...args: never[]) =>
      (pool as unknown as (...a: never[]) => unknown)(...args)) as unknown as
        & Record<string, unknown>
        & Pg;
  for (const [key, value] of Object.entries(pool)) {
    (sql as Record<string, unknown>)[key] = typeof value === "function"
      ? value.bind(pool)
      : value;
  }
  Object.assign(sql, {
    end: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
  return sql;
}
