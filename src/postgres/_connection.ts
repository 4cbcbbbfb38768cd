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

/** Options of {@linkcode connectionSql}. */
export interface ConnectionSqlOptions {
  /** What `begin()` does. */
  begin: BeginMode;
  /** Throws when the connection must not be used any more. */
  check?: () => void;
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
  const wrap = <F extends (...args: never[]) => unknown>(fn: F): F =>
    ((...args: Parameters<F>) => {
      check();
      return fn(...args);
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
      await (sql as unknown as Pg).unsafe(`rollback to savepoint ${name}`)
        .catch(() => {});
      throw error;
    }
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
      await (sql as unknown as Pg).unsafe("rollback").catch(() => {});
      throw error;
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
