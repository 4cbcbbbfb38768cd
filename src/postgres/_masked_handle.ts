// Internal: how a database fixture's handle prints (console.log,
// Deno.inspect): everything but the password, which `url`, `config`, what
// `env()` returns and the postgres.js client (its `options.pass`) hold.

import { type PostgresConfig, postgresUrl } from "./config.ts";
import { maskUrl } from "../util/text.ts";
import { maskFields, maskInspect } from "../util/masked_inspect.ts";

/** What a database handle holds a password in (`PostgresDatabase`'s fields). */
interface HoldsPassword {
  readonly url: string;
  readonly config: PostgresConfig;
}

/**
 * Makes `db`, its `config` and its `sql` print with the password masked.
 *
 * @param db The handle, as set up (a `PostgresDatabase`).
 * @returns `db`.
 */
export function maskDatabase<
  D extends HoldsPassword & { readonly sql: object },
>(
  db: D,
): D {
  maskFields(db.config, ["password"]);
  // The client is postgres.js's own (a shared pool's, kept between tests):
  // it prints as what it reaches.
  const target = postgresUrl(db.config);
  maskInspect(db.sql, () => `[postgres.js sql: ${target}]`);
  return maskInspect(db, (self) => ({ ...self, url: maskUrl(self.url) }));
}

/**
 * Makes a migration's `target`, its `config` and its `env` print with the
 * password masked.
 *
 * @param target The target, as made (a `PostgresMigrationTarget`).
 * @returns `target`.
 */
export function maskTarget<
  T extends HoldsPassword & { readonly env: Readonly<Record<string, string>> },
>(target: T): T {
  maskFields(target.config, ["password"]);
  const env = maskEnv(target.env);
  return maskInspect({ ...target, env }, (self) => ({
    ...self,
    url: maskUrl(self.url),
  }));
}

/**
 * Makes connection variables (`DATABASE_URL`, `PGPASSWORD`, …) print with
 * the password masked; their values stay real, for use.
 *
 * @param env The variables, as made.
 * @returns `env`.
 */
export function maskEnv<T extends Readonly<Record<string, string>>>(
  env: T,
): T {
  return maskInspect(env, (self) => ({
    ...self,
    ...(self.DATABASE_URL ? { DATABASE_URL: maskUrl(self.DATABASE_URL) } : {}),
    ...(self.PGPASSWORD ? { PGPASSWORD: "***" } : {}),
  }));
}
