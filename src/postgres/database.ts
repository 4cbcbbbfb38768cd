/**
 * An isolated PostgreSQL database for a test, with three isolation levels:
 * a rolled-back transaction, a fresh schema, or a fresh database cloned from
 * a migrated template.
 *
 * @module
 */

import { raceDeadline } from "../util/deadline.ts";
import type postgres from "postgres";
import type { Sql } from "postgres";
import { defineFixture, type FixtureFactory } from "../core/fixture.ts";
import {
  type PostgresConfig,
  postgresConfig,
  postgresPermissions,
  postgresUrl,
} from "./config.ts";
import { loadPostgres, postgresOptions } from "./client.ts";
import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import {
  drop,
  startClonePool,
  take,
  trackUntilExit,
  warm,
} from "./_clone_pool.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { forget, handOff, register, startReaper } from "../run/reaper.ts";

/** A postgres.js client (`sql`), as the test receives it. */
export type PostgresSql = Sql<Record<string, unknown>>;

/** How a database fixture keeps tests apart. */
export type PostgresIsolation = "transaction" | "schema" | "database";

/** Options of {@linkcode postgresDatabase}. */
export interface PostgresDatabaseOptions {
  /**
   * Where the server is.
   *
   * @default {postgresConfig() (DATABASE_URL, else PGHOST, PGPORT, ...)}
   */
  config?: PostgresConfig;
  /**
   * - `"transaction"`: `sql` is one connection inside a transaction that is
   *   rolled back on dispose; `sql.begin()` becomes a savepoint. Cheapest;
   *   the code under test must use the `sql` it is given (no pool, no
   *   `LISTEN`, no second connection: it would not see the data).
   * - `"schema"`: a fresh schema, first on `search_path` for the test's pool,
   *   dropped with `CASCADE` on dispose.
   * - `"database"`: a fresh database cloned from a template that `migrate`
   *   builds once per process, dropped on dispose. Needs `CREATEDB`.
   *
   * @default {"schema"}
   */
  isolation?: PostgresIsolation;
  /**
   * Creates the tables the test needs: in the transaction, in the schema, or
   * once in the template database.
   *
   * @default {undefined} (nothing)
   */
  migrate?: (sql: PostgresSql) => Promise<unknown> | unknown;
  /**
   * Pool size of the test's `sql` (`schema` and `database` modes).
   *
   * @default {4}
   */
  max?: number;
}

/** A started database fixture. */
export interface PostgresDatabase extends AsyncDisposable {
  /** The client for the test; closed on dispose. */
  readonly sql: PostgresSql;
  /** The isolation level. */
  readonly isolation: PostgresIsolation;
  /** The database the test uses. */
  readonly database: string;
  /** The test's schema (`schema` mode), else `"public"`. */
  readonly schema: string;
  /** Connection settings for this database (for code that opens its own connections; not in `transaction` mode). */
  readonly config: PostgresConfig;
  /** Rolls back or drops what the fixture created, and closes every connection. Idempotent. */
  close(): Promise<void>;
}

interface Prepared {
  config: PostgresConfig;
  isolation: PostgresIsolation;
  migrate?: (sql: PostgresSql) => Promise<unknown> | unknown;
  max: number;
  /** Declared on a test: its removal is handed to the reaper, if one runs. */
  declared: boolean;
}

/** How the reaper drops a schema or a database. */
const REMOVER = new URL("./_reap.ts", import.meta.url).href;

const ISOLATIONS: readonly PostgresIsolation[] = [
  "transaction",
  "schema",
  "database",
];

/**
 * Gives the test an isolated PostgreSQL database. Declared on a test, it
 * grants the network to the server and the two variables postgres.js reads.
 *
 * @param options Settings, isolation level, migration, pool size.
 * @returns The handle, with `sql`.
 * @throws {TypeError} For a bad option or a malformed `DATABASE_URL`/`PG*` variable.
 *
 * @example
 * ```ts ignore
 * import { integration } from "../../mod.ts";
 * import { postgresDatabase } from "../../postgres.ts";
 *
 * integration("stores users", {
 *   fixtures: {
 *     db: postgresDatabase.fixture({
 *       isolation: "transaction",
 *       migrate: (sql) => sql`create table users (name text)`,
 *     }),
 *   },
 * }, async (_t, { db }) => {
 *   await db.sql`insert into users values ('ada')`;
 * });
 * ```
 */
export const postgresDatabase: FixtureFactory<
  PostgresDatabaseOptions,
  PostgresDatabase
> = defineFixture<
  PostgresDatabaseOptions,
  PostgresDatabase,
  Record<string, unknown>,
  Prepared
>({
  name: "postgresDatabase",
  prepare(options, mode): Prepared {
    const isolation = options?.isolation ?? "schema";
    if (!ISOLATIONS.includes(isolation)) {
      throw new TypeError(
        `Cannot create postgresDatabase fixture: isolation must be "transaction", "schema" or "database", got ${
          JSON.stringify(isolation)
        }`,
      );
    }
    const migrate = options?.migrate;
    if (migrate !== undefined && typeof migrate !== "function") {
      throw new TypeError(
        "Cannot create postgresDatabase fixture: migrate must be a function (sql) => Promise",
      );
    }
    const max = options?.max ?? 4;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(
        `Cannot create postgresDatabase fixture: max must be a positive integer, got ${max}`,
      );
    }
    if (mode === "declared") {
      loadPostgres(); // start loading at module load
      if (isolation === "database") startClonePool();
      if (isolation === "schema") startReaper(); // reaper: at module load
    }
    return {
      config: options?.config ?? postgresConfig(),
      isolation,
      migrate,
      max,
      declared: mode === "declared",
    };
  },
  permissions: (options) => postgresPermissions(options.config),
  async setup(options): Promise<PostgresDatabase> {
    const postgres = await loadPostgres();
    switch (options.isolation) {
      case "transaction":
        return await transactionDatabase(postgres, options);
      case "schema":
        return await schemaDatabase(postgres, options);
      case "database":
        return await clonedDatabase(postgres, options);
    }
  },
});

type Postgres = typeof postgres;

async function transactionDatabase(
  postgres: Postgres,
  options: Prepared,
): Promise<PostgresDatabase> {
  // postgres.js crashes the process (a TypeError in a timer) when a query is
  // sent on a reserved connection the server has closed; track the close and
  // fail such queries with a clear error instead.
  let lost: string | undefined;
  const pool = postgres(postgresOptions(options.config, {
    max: 1,
    onclose: () => {
      lost ??= "the server closed the connection";
    },
  }));
  let conn: postgres.ReservedSql;
  try {
    conn = await pool.reserve();
    await conn`begin`;
  } catch (error) {
    await pool.end({ timeout: 0 });
    throw connectError(options.config, error);
  }
  // Code under test calls sql.begin() (or savepoint()): inside the test's
  // transaction that is a savepoint, rolled back with everything else.
  let savepoints = 0;
  const savepoint = async (...args: unknown[]): Promise<unknown> => {
    const fn = args.find((a) => typeof a === "function") as (
      sql: PostgresSql,
    ) => unknown;
    const name = `itkit_sp_${++savepoints}`;
    await conn.unsafe(`savepoint ${name}`);
    try {
      const result = await fn(sql);
      await conn.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await conn.unsafe(`rollback to savepoint ${name}`).catch(() => {});
      throw error;
    }
  };
  const sql = guard(
    Object.assign(conn, { begin: savepoint, savepoint }),
    () => lost,
  );
  const { close } = disposeOnce(async () => {
    if (lost !== undefined) {
      // The connection is gone: nothing to roll back. Releasing it would let
      // the pool schedule a reconnect; end the pool instead.
      await pool.end({ timeout: 0 });
      return;
    }
    try {
      await conn`rollback`;
    } catch {
      // Lost while rolling back: the server rolled it back.
    } finally {
      conn.release();
      await pool.end({ timeout: 5 });
    }
  });
  return await ready(sql, close, options.migrate, {
    isolation: "transaction",
    database: options.config.database,
    schema: "public",
    config: options.config,
  });
}

async function schemaDatabase(
  postgres: Postgres,
  options: Prepared,
): Promise<PostgresDatabase> {
  const schema = uniqueName("itkit", "_");
  // One pool does everything, so the test pays for one connection: the
  // schema need not exist yet when search_path names it.
  const sql = postgres(postgresOptions(options.config, {
    max: options.max,
    connection: { search_path: `${schema},public` },
  })) as unknown as PostgresSql;
  let created = false;
  // Servers that ignore startup parameters (PGlite over a socket: one
  // backend shared by every connection) get the search path by SQL instead.
  let setBySql = false;
  // --- reaper: register before create
  const reaped = await register({
    remover: REMOVER,
    what: `schema ${options.config.database}.${schema}`,
    config: options.config,
    schema,
  });
  // --- end reaper
  const { close } = disposeOnce(async () => {
    // --- reaper: hand off instead of drop (declared: nobody waits)
    if (reaped !== undefined && options.declared) {
      await sql.end({ timeout: 5 });
      return handOff(reaped);
    }
    // --- end reaper
    if (created) {
      // A connection the server closed mid-test can leave postgres.js's pool
      // with a query that never settles; then drop from a fresh connection.
      const dropped = await withDeadline(
        (async () => {
          if (setBySql) await sql`reset search_path`.catch(() => {});
          await sql`drop schema if exists ${sql(schema)} cascade`;
        })(),
        POOL_DEADLINE,
      );
      if (!dropped) {
        await sql.end({ timeout: 0 });
        await dropWithFreshConnection(postgres, options.config, schema);
        if (reaped !== undefined) await forget(reaped);
        return;
      }
    }
    await sql.end({ timeout: 5 });
    if (reaped !== undefined) await forget(reaped);
  });
  try {
    await sql`create schema ${sql(schema)}`;
    created = true;
    const [{ search_path }] = await sql<
      { search_path: string }[]
    >`show search_path`;
    if (!search_path.startsWith(schema)) {
      setBySql = true;
      await sql`select set_config('search_path', ${`${schema},public`}, false)`;
    }
  } catch (error) {
    await close().catch(() => {});
    throw connectError(options.config, error);
  }
  return await ready(sql, close, options.migrate, {
    isolation: "schema",
    database: options.config.database,
    schema,
    config: options.config,
  });
}

const templates = new Map<string, Promise<string>>();
/** How many clones of each template the helper keeps ready. */
const CLONES_READY = 4;
const migrationIds = new WeakMap<object, number>();
let migrations = 0;

async function clonedDatabase(
  postgres: Postgres,
  options: Prepared,
): Promise<PostgresDatabase> {
  const migrate = options.migrate;
  const migrationId = migrate
    ? migrationIds.get(migrate) ??
      (migrationIds.set(migrate, ++migrations), migrations)
    : 0;
  const key = `${postgresUrl(options.config)} ${migrationId}`;
  let template = templates.get(key);
  if (!template) {
    template = buildTemplate(postgres, options);
    templates.set(key, template);
    template.catch(() => templates.delete(key));
  }
  const templateName = await template;
  // A clone made ahead of time by the helper process (IntegreSQL-style).
  let database: string;
  try {
    database = await take(options.config, templateName);
  } catch (error) {
    throw createDbError(options.config, error);
  }
  const config = { ...options.config, database };
  const sql = postgres(
    postgresOptions(config, { max: options.max }),
  ) as unknown as PostgresSql;
  const { close } = disposeOnce(async () => {
    try {
      await sql.end({ timeout: 5 });
    } finally {
      await drop(options.config, database);
    }
  });
  try {
    await expectDatabase(sql as unknown as postgres.Sql, database);
  } catch (error) {
    await close();
    throw error;
  }
  return await ready(sql, close, undefined, {
    isolation: "database",
    database,
    schema: "public",
    config,
  });
}

async function buildTemplate(
  postgres: Postgres,
  options: Prepared,
): Promise<string> {
  const name = uniqueName("itkit_tpl", "_");
  const admin = postgres(postgresOptions(options.config, { max: 1 }));
  try {
    try {
      await admin`create database ${admin(name)}`;
    } catch (error) {
      throw createDbError(options.config, error);
    }
    const sql = postgres(
      postgresOptions({ ...options.config, database: name }, { max: 1 }),
    );
    try {
      await expectDatabase(sql, name);
    } catch (error) {
      await sql.end({ timeout: 5 });
      await admin`drop database if exists ${admin(name)}`;
      throw error;
    }
    await trackUntilExit(options.config, name);
    try {
      if (options.migrate) await options.migrate(sql as unknown as PostgresSql);
    } catch (error) {
      await sql.end({ timeout: 5 });
      await admin`drop database if exists ${admin(name)} with (force)`;
      throw new Error(
        `Cannot build template database "${name}": migration failed: ${
          describe(error)
        } (the template was dropped)`,
        { cause: error },
      );
    }
    await sql.end({ timeout: 5 });
    await warm(options.config, name, CLONES_READY);
    return name;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Runs the migration (closing everything if it fails) and builds the handle.
 */
async function ready(
  sql: PostgresSql,
  close: () => Promise<void>,
  migrate: Prepared["migrate"],
  fields: Pick<
    PostgresDatabase,
    "isolation" | "database" | "schema" | "config"
  >,
): Promise<PostgresDatabase> {
  try {
    if (migrate) await migrate(sql);
  } catch (error) {
    await close();
    throw new Error(`migration failed: ${describe(error)}`, { cause: error });
  }
  return { sql, ...fields, close, [Symbol.asyncDispose]: close };
}

/** How long cleanup trusts the test's pool before using a fresh connection. */
const POOL_DEADLINE = 2_000;

/** Whether `work` settled within `ms` (its failure is rethrown). */
function withDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  return raceDeadline(work.then(() => true), ms, () => false);
}

async function dropWithFreshConnection(
  postgres: Postgres,
  config: PostgresConfig,
  schema: string,
): Promise<void> {
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    await admin`drop schema if exists ${admin(schema)} cascade`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Fails unless `sql` is connected to `database` (PGlite ignores the name). */
async function expectDatabase(
  sql: postgres.Sql,
  database: string,
): Promise<void> {
  const [{ current }] = await sql<
    { current: string }[]
  >`select current_database() as current`;
  if (current !== database) {
    throw new Error(
      `the server connected to database "${current}" instead of "${database}" (PGlite serves a single database): isolation "database" is not available there; use "schema" or "transaction"`,
    );
  }
}

function createDbError(config: PostgresConfig, error: unknown): Error {
  if ((error as { code?: string })?.code === "42501") {
    return new Error(
      `Cannot create a database as user "${config.user}" on ${config.host}:${config.port}: the role lacks the CREATEDB privilege (grant it with ALTER ROLE ${config.user} CREATEDB, or use isolation "schema")`,
      { cause: error },
    );
  }
  return connectError(config, error);
}

function connectError(config: PostgresConfig, error: unknown): Error {
  return new Error(
    `Cannot use PostgreSQL at ${postgresUrl(config)}: ${describe(error)}`,
    { cause: error },
  );
}

/**
 * Wraps a connection so that, once `lost()` says why it is gone, every query
 * rejects with a clear error instead of reaching postgres.js.
 */
function guard(
  conn: postgres.ReservedSql,
  lost: () => string | undefined,
): PostgresSql {
  const check = (): void => {
    const why = lost();
    if (why !== undefined) {
      throw new Error(
        `Cannot query: ${why} during the test, and the test's transaction is gone with it (isolation "transaction")`,
      );
    }
  };
  const wrap = <F extends (...args: never[]) => unknown>(fn: F): F =>
    ((...args: Parameters<F>) => {
      check();
      return fn(...args);
    }) as F;
  const sql = wrap(conn as unknown as (...args: never[]) => unknown);
  for (const [key, value] of Object.entries(conn)) {
    (sql as unknown as Record<string, unknown>)[key] =
      typeof value === "function" ? wrap(value.bind(conn)) : value;
  }
  return sql as unknown as PostgresSql;
}
