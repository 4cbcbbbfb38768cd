/**
 * PostgreSQL for integration tests: a database fixture with transaction,
 * schema or database isolation, the connection settings it reads
 * (`DATABASE_URL` or `PG*`), and a probe that ignores the tests with a reason
 * when the server is down.
 *
 * postgres.js is loaded on first use only: importing this module loads nothing.
 *
 * @example
 * ```ts ignore
 * import { integration } from "./mod.ts";
 * import { postgresDatabase, probePostgres } from "./postgres.ts";
 *
 * const db = await probePostgres();
 *
 * integration("stores a user", {
 *   requires: [db],
 *   fixtures: { db: postgresDatabase.fixture({ isolation: "transaction" }) },
 * }, async (_t, { db }) => {
 *   await db.sql`create table users (name text)`;
 *   await db.sql`insert into users values ('ada')`;
 * });
 * ```
 *
 * @module
 */

export {
  type PostgresDatabase,
  postgresDatabase,
  type PostgresDatabaseOptions,
  type PostgresIsolation,
  type PostgresMigrationTarget,
  type PostgresSql,
} from "./src/postgres/database.ts";
export {
  type PostgresConfig,
  postgresConfig,
  postgresPermissions,
  type PostgresSslMode,
  postgresUrl,
} from "./src/postgres/config.ts";
export { probePostgres } from "./src/postgres/probe.ts";
export {
  pgClientPermissions,
  postgresClientPermissions,
  type PostgresClientPermissionsOptions,
} from "./src/postgres/client_permissions.ts";
