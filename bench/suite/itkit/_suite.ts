/**
 * How the itkit suite registers a file's cases: one `integration()` test per
 * case, each declaring its database (the isolation level is the bench's
 * choice, `BENCH_ISOLATION`, default `"truncate"`) migrated by the app's own
 * migrator; the test opens the app's own pool on `db.url`, kept from test to
 * test while the URL stays the same (one database per process in
 * `"truncate"`), ended when it changes and after the file's last test.
 *
 * @module
 */

import { integration } from "../../../mod.ts";
import {
  postgresClientPermissions,
  postgresDatabase,
  type PostgresIsolation,
  probePostgres,
} from "../../../postgres.ts";
import { type App, createApp, migrate, MIGRATIONS } from "../app/mod.ts";
import type { Area, Case } from "../cases/case.ts";

const pg = await probePostgres();
const isolation = (Deno.env.get("BENCH_ISOLATION") ??
  "truncate") as PostgresIsolation;
// The app's own pool reads postgres.js's variables; its migrator reads its
// SQL files while the first test sets up.
const permissions = postgresClientPermissions({ read: [MIGRATIONS] });

/**
 * Registers `cases` as the integration tests of the file `area`.
 *
 * @param area The file's name (printed with its migration time).
 * @param cases Its cases.
 *
 * @example
 * ```ts ignore
 * import { cases } from "../cases/customers.ts";
 * itkitSuite("customers", cases);
 * ```
 */
export function itkitSuite(area: Area, cases: Case[]): void {
  let app: App | undefined;
  cases.forEach((c, i) => {
    integration(c.name, {
      requires: [pg],
      permissions,
      fixtures: {
        db: postgresDatabase.fixture({
          isolation,
          name: "bench-suite",
          migrate: async (sql) => {
            const { ms } = await migrate(sql);
            console.log(`BENCH migrate ${area} ${ms.toFixed(1)}`);
          },
        }),
      },
    }, async (_t, { db }) => {
      try {
        if (app?.url !== db.url) {
          await app?.close();
          app = createApp(db.url);
        }
        await c.run(app);
      } finally {
        if (i === cases.length - 1) await app?.close();
      }
    });
  });
}
