/**
 * The benchmark's app: a billing sync service and workflow engine on
 * PostgreSQL, with its own postgres.js pool (opened from a connection
 * string, committing its writes) and its own migrator. Test suites of three
 * kinds run the same cases against it (see `bench/suite.ts`).
 *
 * @module
 */

import { openPool, type Sql } from "./pool.ts";
import { Customers } from "./customers.ts";
import { Catalog } from "./catalog.ts";
import { Invoices } from "./invoices.ts";
import { Workflows } from "./workflows.ts";
import { Sync } from "./sync.ts";

export { migrate, type MigrateResult, MIGRATIONS } from "./migrator.ts";
export { openPool, type Sql } from "./pool.ts";

/** The app, on its own pool. */
export interface App extends AsyncDisposable {
  /** The connection string the pool was opened with. */
  readonly url: string;
  /** The app's pool. */
  readonly sql: Sql;
  readonly customers: Customers;
  readonly catalog: Catalog;
  readonly invoices: Invoices;
  readonly workflows: Workflows;
  readonly sync: Sync;
  /** Ends the pool. */
  close(): Promise<void>;
}

/**
 * Opens the app on `url` (its pool connects on first use).
 *
 * @param url The database's connection string.
 * @returns The app.
 *
 * @example
 * ```ts ignore
 * await using app = createApp(Deno.env.get("DATABASE_URL")!);
 * await app.customers.create({ email: "ada@example.com" });
 * ```
 */
export function createApp(url: string): App {
  const sql = openPool(url);
  const close = (): Promise<void> => sql.end({ timeout: 5 });
  return {
    url,
    sql,
    customers: new Customers(sql),
    catalog: new Catalog(sql),
    invoices: new Invoices(sql),
    workflows: new Workflows(sql),
    sync: new Sync(sql),
    close,
    [Symbol.asyncDispose]: close,
  };
}
