/**
 * An isolated PostgreSQL database for a test, with four isolation levels: a
 * rolled-back transaction, a fresh schema, a fresh database cloned from a
 * migrated template, or one database per process reset after each test.
 * Connections and migrations are paid once per process, not per test.
 *
 * @module
 */

import type { postgresJs } from "./_postgres_js.ts";
import { defineFixture, type FixtureFactory } from "../core/fixture.ts";
import {
  type PostgresConfig,
  postgresConfig,
  postgresPermissions,
  postgresUrl,
} from "./config.ts";
import { loadPostgres } from "./client.ts";
import { maskDatabase, maskEnv, maskTarget } from "./_masked_handle.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { migrationKey, type MigrationPlace } from "./_migrations.ts";
import type { Session, SessionInput } from "./_session.ts";
import { transactionSession } from "./_transaction.ts";
import { schemaSession } from "./_schema.ts";
import { clonedSession, registerDatabaseTest } from "./_cloned.ts";
import { noteHelperRefused, truncateSession } from "./_truncate.ts";
import { connectError } from "./_errors.ts";
import { startClonePool } from "./_clone_pool.ts";
import { startReaper } from "../run/reaper.ts";
import { reaperSettings } from "../run/settings.ts";
import { pinSharedPools, sharedPoolsSettled } from "./_shared_pool.ts";
import { refuseProduction } from "./_production_guard.ts";
import {
  lateSetupsClosed,
  SERVER_GRACE,
  withinGrace,
  withinGraceAfterAbort,
} from "./_grace.ts";
import { postgresLeaseWait, requestPostgresLease } from "./_lease_request.ts";

/**
 * A postgres.js client (`sql`), as the test receives it: postgres.js 4's
 * `Sql`, which app code typed with postgres.js 4 takes.
 */
export type PostgresSql = postgresJs.ClientSql;

/** How a database fixture keeps tests apart. */
export type PostgresIsolation =
  | "transaction"
  | "schema"
  | "truncate"
  | "database";

/**
 * Where a migration runs, for a migrator of the app's own (a pool of its own,
 * a CLI in a subprocess): the second argument of
 * {@linkcode PostgresDatabaseOptions.migrate}. Printed, its password is
 * masked.
 *
 * @example
 * ```ts ignore
 * import postgres from "npm:postgres@^4.2.0";
 * import { integration } from "../../mod.ts";
 * import {
 *   postgresClientPermissions,
 *   postgresDatabase,
 * } from "../../postgres.ts";
 *
 * integration("the app's own migrator migrates where the test works", {
 *   // What postgres.js reads when the migrator builds its pool.
 *   permissions: postgresClientPermissions(),
 *   fixtures: {
 *     db: postgresDatabase.fixture({
 *       isolation: "truncate",
 *       migrate: async (_sql, { url }) => {
 *         const own = postgres(url, { max: 1, onnotice: () => {} });
 *         try {
 *           await own`create table notes (body text)`;
 *         } finally {
 *           await own.end();
 *         }
 *       },
 *     }),
 *   },
 * }, async (_t, { db }) => {
 *   await db.sql`insert into notes values ('migrated by the app')`;
 * });
 * ```
 */
export interface PostgresMigrationTarget {
  /**
   * A connection string with the real password that lands where the
   * migration runs: the database and, in a schema of the toolkit's, its
   * search path (`options=-c search_path=<schema>`).
   */
  readonly url: string;
  /**
   * The same as variables: `DATABASE_URL` and libpq's `PGHOST`, `PGPORT`,
   * `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGOPTIONS` (and `PGSSLMODE`,
   * `PGSSLROOTCERT` when set), for `new Deno.Command(…, { env })`.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Connection settings of the database migrated. */
  readonly config: PostgresConfig;
  /** The database migrated. */
  readonly database: string;
  /**
   * The schema migrated: the whole search path of `url`, or `public` of a
   * database of its own.
   */
  readonly schema: string;
}

/** Options of {@linkcode postgresDatabase}. */
export interface PostgresDatabaseOptions {
  /**
   * Where the server is.
   *
   * @default {postgresConfig() (DATABASE_URL, else PGHOST, PGPORT, ...)}
   */
  config?: PostgresConfig;
  /**
   * How tests are kept apart (see the README's PostgreSQL section for what
   * code under test may do in each). In every level an unqualified name in
   * the migration, `sql`, or a client opened from `url`/`env()` resolves
   * only to what the test's migration or code made (and `pg_catalog`): in
   * `"transaction"` and `"schema"` the test's schema is the whole search
   * path; in `"truncate"` and `"database"` the database is the test's own.
   *
   * - `"transaction"`: `sql` is one connection of the process's pool inside a
   *   transaction rolled back on dispose, on a schema migrated once per
   *   process (made without a migration too); `sql.begin()` and
   *   `sql.reserve()` become savepoints on it.
   *   Code that commits or ends the transaction fails the test. The
   *   connection is kept for the next test (one at a time); a `sql` used
   *   after its test ended throws.
   * - `"schema"`: a fresh schema per test, the search path of the process's
   *   pool, migrated inline, dropped on dispose.
   * - `"truncate"`: one database per test file, cloned from a template
   *   migrated once per process (shared by the files of a
   *   `deno test --parallel` run), reset to its migrated state after each
   *   test (the tables that changed are emptied and their migrated rows and
   *   sequences restored). For code that commits and opens its own pools. Where the role may not create databases
   *   (`CREATEDB`), on PGlite, or for a standalone fixture, a schema of the
   *   configured database instead (the whole search path, as in `"schema"`);
   *   without `--allow-run`, a fresh schema per test. Said on stderr, once
   *   per process, when it is not a database.
   * - `"database"`: a fresh database per test cloned from a template migrated
   *   once per process (shared by the files of a `deno test --parallel`
   *   run). A helper process clones one database per test the module
   *   declares with the same server and migration (at most 64); the
   *   first such test's setup waits for them (5 s at most), so the later ones
   *   take theirs at once (a `--filter` selecting one test of a large module
   *   still waits for the others' clones: a module cannot see the filter).
   *   Used clones are dropped by the helper once the module's last such test
   *   has ended (at most 64 wait, within 512 MiB; the rest when the process
   *   ends), so that no `DROP DATABASE` competes with the tests. Needs
   *   `CREATEDB`.
   *
   * @default {"schema"}
   */
  isolation?: PostgresIsolation;
  /**
   * Creates the tables the test needs, on one connection (it may use
   * `BEGIN`/`COMMIT` or `sql.begin()`). It runs once per test file for each
   * server and migration in `"transaction"`, once per test process in
   * `"truncate"` and `"database"` (into a template its files share), and
   * once per test in `"schema"`; in the setup of the first test that needs
   * it, with that test's permissions. A migration is identified by `name`,
   * else by its source text: two inline arrows with the same text are the
   * same migration.
   *
   * The second argument says where it runs (`url`, `env`, `config`), for a
   * migrator of the app's own: a pool it opens from `url` (end it before
   * returning: in `"database"` and `"truncate"` the migrated template is then
   * cloned), or a subprocess given `env`.
   *
   * @default {undefined} (nothing)
   */
  migrate?: (
    sql: PostgresSql,
    target: PostgresMigrationTarget,
  ) => Promise<unknown> | unknown;
  /**
   * What identifies the migration, when its source text does not (it reads
   * variables that differ between fixtures, or you want a readable key).
   *
   * @default {undefined} (the source text of `migrate`)
   */
  name?: string;
  /**
   * Pool size of the test's own `sql` in `"database"` isolation (the other
   * levels share the process's pool).
   *
   * @default {4}
   */
  max?: number;
}

/** A started database fixture. */
export interface PostgresDatabase extends AsyncDisposable {
  /** The client for the test; `sql.end()` is left to the fixture. */
  readonly sql: PostgresSql;
  /** The isolation level. */
  readonly isolation: PostgresIsolation;
  /**
   * The database the test uses: one of its own (`itkit_<run id>_<n>`) in
   * `"database"` and `"truncate"` isolation, unless `"truncate"` works in a
   * schema (then, as in the other levels, the configured one).
   */
  readonly database: string;
  /**
   * The schema the test works in: its whole search path in `"transaction"`
   * and `"schema"` isolation and `"truncate"` in a schema (an
   * `itkit_<run id>_<n>`), `public` of its own database in the others.
   */
  readonly schema: string;
  /** Connection settings for the test's database. */
  readonly config: PostgresConfig;
  /**
   * A connection string with the real password that lands where the test
   * works: its database and, through the startup `options`
   * (`-c search_path=<schema>`), its search path. For code that opens its
   * own connections.
   */
  readonly url: string;
  /**
   * The variables that point code under test at this database:
   * `DATABASE_URL` and libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
   * `PGDATABASE`, `PGOPTIONS` (and `PGSSLMODE`, `PGSSLROOTCERT` when set).
   * Hand them to an `env` fixture. The values are real; printed
   * (`console.log`, `Deno.inspect`), the password is masked.
   *
   * @returns The variables.
   */
  env(): Record<string, string>;
  /** Rolls back, drops or resets what the test changed. Idempotent. */
  close(): Promise<void>;
}

interface Prepared {
  config: PostgresConfig;
  isolation: PostgresIsolation;
  migrate?: PostgresDatabaseOptions["migrate"] | undefined;
  key: string;
  max: number;
}

const ISOLATIONS: readonly PostgresIsolation[] = [
  "transaction",
  "schema",
  "truncate",
  "database",
];

const SESSIONS: Record<
  PostgresIsolation,
  (input: SessionInput) => Promise<Session>
> = {
  transaction: transactionSession,
  schema: schemaSession,
  truncate: truncateSession,
  database: clonedSession,
};

/**
 * Gives the test an isolated PostgreSQL database. Declared on a test, it
 * grants the network to the server and the variables postgres.js 4 reads
 * by itself (`postgresPermissions()`).
 *
 * @param options Settings, isolation level, migration, pool size.
 * @returns The handle, with `sql`, `url` and `env()`.
 * @throws {TypeError} For a bad option, a malformed `DATABASE_URL`/`PG*`
 *   variable, or a server or database named as production (`app_production`,
 *   `prod-db`) unless `ITKIT_ALLOW_PRODUCTION_DATABASE=1`.
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
        `Cannot create postgresDatabase fixture: isolation must be "transaction", "schema", "truncate" or "database", got ${
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
    const name = options?.name;
    if (name !== undefined && (typeof name !== "string" || name === "")) {
      throw new TypeError(
        `Cannot create postgresDatabase fixture: name must be a non-empty string, got ${
          JSON.stringify(name)
        }`,
      );
    }
    const max = options?.max ?? 4;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(
        `Cannot create postgresDatabase fixture: max must be a positive integer, got ${
          typeof max === "number"
            ? max
            : `${JSON.stringify(max)} (a ${typeof max})`
        }`,
      );
    }
    // Before anything is started or connected.
    const config = options?.config ?? postgresConfig();
    refuseProduction(config, options?.config !== undefined);
    if (mode === "declared") {
      reaperSettings(); // a bad ITKIT_REAPER* is an error, not "no reaper"
      loadPostgres(); // start loading at module load
      pinSharedPools();
      // The helper that clones databases and drops what this process made
      // when it ends: started here, where the process may spawn it. A
      // migrated schema needs only dropping at exit: the reaper does that
      // (it starts light, the helper loads postgres.js), else the helper.
      if (isolation === "database") {
        startClonePool();
      } else if (isolation === "truncate") {
        try {
          startClonePool();
        } catch {
          // Without --allow-run: a fresh schema per test (said at its setup).
          noteHelperRefused();
        }
      } else if (!startReaper()) {
        try {
          startClonePool();
        } catch {
          // Without --allow-run, a migrated schema is left to `sweep`.
        }
      }
    }
    if (mode === "declared") requestPostgresLease(config); // see _lease.ts
    const key = migrationKey(name, migrate);
    if (mode === "declared" && isolation === "database") {
      registerDatabaseTest(config, key);
    }
    return { config, isolation, migrate, key, max };
  },
  permissions: (options) => permissionsFor(options.config),
  async setup(options, context): Promise<PostgresDatabase> {
    const factory = await loadPostgres();
    const { migrate } = options;
    const start = async (): Promise<Session> => {
      try {
        // What a setup an earlier test gave up on still held, closed.
        const closed = lateSetupsClosed(options.config);
        if (closed) await closed;
        // The run's lease on the server, before anything is made there.
        const leased = postgresLeaseWait(options.config);
        if (leased) await leased;
        return await SESSIONS[options.isolation]({
          factory,
          config: options.config,
          migrate: migrate &&
            ((sql, place) => migrate(sql, migrationTarget(place))),
          key: options.key,
          max: options.max,
          signal: context.signal,
        });
      } catch (error) {
        throw wrapSetupError(options.config, error);
      }
    };
    // A server that stops answering fails the setup, the test's timeout
    // plus a grace period later, instead of holding it.
    const session = await withinGraceAfterAbort(
      options.config,
      start(),
      context.signal,
      async (late) => {
        await late.close();
        // What it ran on the process's pools, late, is over before the
        // next test goes on.
        await sharedPoolsSettled(options.config, SERVER_GRACE);
      },
    );
    const url = connectionUrl(session.config, session.searchPath);
    // Printed with the password masked.
    return maskDatabase({
      sql: session.sql,
      isolation: options.isolation,
      database: session.config.database,
      schema: session.schema,
      config: { ...session.config },
      url,
      // Printed with the password masked, like the handle.
      env: () =>
        maskEnv(connectionEnv(session.config, url, session.searchPath)),
      ...disposeOnce(() =>
        withinGrace(options.config, session.close(), "the cleanup")
      ),
    });
  },
});

/**
 * The permissions for `config`, one object per server (and root certificate
 * file): a module's many declarations share it, and merging one declaration
 * is cached by object.
 */
function permissionsFor(config: PostgresConfig): Deno.PermissionOptionsObject {
  const key = `${config.host}:${config.port} ${config.sslrootcert ?? ""}`;
  let permissions = permissionsByServer.get(key);
  if (!permissions) {
    permissions = postgresPermissions(config);
    permissionsByServer.set(key, permissions);
  }
  return permissions;
}
const permissionsByServer = new Map<string, Deno.PermissionOptionsObject>();

/** Errors that already say what failed pass; others name the server. */
function wrapSetupError(config: PostgresConfig, error: unknown): Error {
  const message = (error as Error)?.message ?? "";
  if (/^(Cannot |migration failed|the server connected)/.test(message)) {
    return error as Error;
  }
  return connectError(config, error);
}

/** What a migration is told of where it runs, printed with the password masked. */
function migrationTarget(place: MigrationPlace): PostgresMigrationTarget {
  const url = connectionUrl(place.config, place.searchPath);
  return maskTarget({
    url,
    env: connectionEnv(place.config, url, place.searchPath),
    config: { ...place.config },
    database: place.config.database,
    schema: place.searchPath ?? "public",
  });
}

/** `config` as a URL with the real password and, if given, a search path. */
function connectionUrl(config: PostgresConfig, searchPath?: string): string {
  const url = postgresUrl(config, true);
  if (!searchPath) return url;
  return `${url}${url.includes("?") ? "&" : "?"}options=${
    encodeURIComponent(`-c search_path=${searchPath}`)
  }`;
}

function connectionEnv(
  config: PostgresConfig,
  url: string,
  searchPath?: string,
): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: url,
    PGHOST: config.host,
    PGPORT: String(config.port),
    PGUSER: config.user,
    PGPASSWORD: config.password,
    PGDATABASE: config.database,
  };
  if (searchPath) env.PGOPTIONS = `-c search_path=${searchPath}`;
  if (config.sslmode) env.PGSSLMODE = config.sslmode;
  if (config.sslrootcert) env.PGSSLROOTCERT = config.sslrootcert;
  return env;
}
