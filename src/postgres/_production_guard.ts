// Internal: a database fixture refuses a server or database named as
// production (`app_production`, `prod-db.internal`), as Rails refuses a
// destructive task on its protected "production" environment: a fixture
// makes schemas in the configured database ("schema", "transaction") or
// databases on its server ("truncate", "database"), and a DATABASE_URL left
// in the shell from a production session must not receive them. Names only:
// no round trip, nothing on a test's path. A development database full of
// the user's tables is not refused; isolation keeps it intact.

import { type PostgresConfig, postgresUrl } from "./config.ts";
import { readEnv } from "../util/env.ts";
import { maskUrl } from "../util/text.ts";
import { isProductionDatabaseAllowed } from "../run/settings.ts";

/** A name segment (between `_`, `-`, `.`, ...) that says production. */
const PRODUCTION = /^(prod|production)$/;

/** Servers and databases checked already, by `host/database`. */
const checked = new Set<string>();

/**
 * Throws when `config` names a production database or host, unless
 * `ITKIT_ALLOW_PRODUCTION_DATABASE` is on.
 *
 * @param config The configured server and database.
 * @param explicit Whether `config` was passed as an option (else it came
 *   from `DATABASE_URL` or the `PG*` variables).
 * @throws {TypeError} Naming where the configuration came from, its value
 *   (password masked) and the opt-out variable.
 */
export function refuseProduction(
  config: PostgresConfig,
  explicit: boolean,
): void {
  const key = `${config.host}/${config.database}`;
  if (checked.has(key)) return;
  const named = isProduction(config.database)
    ? `database "${config.database}"`
    : isProduction(config.host)
    ? `host "${config.host}"`
    : undefined;
  if (named === undefined || isProductionDatabaseAllowed()) {
    checked.add(key);
    return;
  }
  const url = readEnv("DATABASE_URL");
  const source = explicit
    ? `config "${postgresUrl(config)}"`
    : url
    ? `DATABASE_URL "${maskUrl(url)}"`
    : named.startsWith("database")
    ? `PGDATABASE "${config.database}"`
    : `PGHOST "${config.host}"`;
  throw new TypeError(
    `Cannot create postgresDatabase fixture: ${source} names a production ${named} (expected a development or test server and database, e.g. app_test; set ITKIT_ALLOW_PRODUCTION_DATABASE=1 if this one is meant for tests)`,
  );
}

function isProduction(name: string): boolean {
  return name.toLowerCase().split(/[^a-z0-9]+/).some((word) =>
    PRODUCTION.test(word)
  );
}
