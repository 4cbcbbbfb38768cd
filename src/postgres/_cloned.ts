// Internal: isolation "database": a database per test, cloned ahead of time
// by the helper process from a template migrated once per process.

import { describe } from "../util/text.ts";
import { uniqueName } from "../run/naming.ts";
import { postgresOptions } from "./client.ts";
import { once } from "./_migrations.ts";
import type { Pg } from "./_shared_pool.ts";
import {
  drop,
  startClonePool,
  take,
  trackUntilExit,
  warm,
} from "./_clone_pool.ts";
import { createDbError } from "./_errors.ts";
import type { Session, SessionInput } from "./_session.ts";

/** Clones kept ready per template: one per registered test, at most this. */
export const MAX_CLONES_READY = 8;

let registered = 0;

/** Counts a declared database-isolated test (sizes the ready pool). */
export function registerDatabaseTest(): void {
  registered++;
}

/** The migrated template for `input`'s server and migration, built once. */
export function templateFor(input: SessionInput): Promise<string> {
  return once(input.config, "template", input.key, () => buildTemplate(input));
}

/** Starts a database-isolated session. */
export async function clonedSession(input: SessionInput): Promise<Session> {
  const template = await templateFor(input);
  await once(input.config, "warm", template, async () => {
    await warm(
      input.config,
      template,
      Math.max(1, Math.min(registered || 4, MAX_CLONES_READY)),
    );
    return template;
  });
  let database: string;
  try {
    database = await take(input.config, template);
  } catch (error) {
    throw createDbError(input.config, error);
  }
  const config = { ...input.config, database };
  // postgres.js connects on the first query: the handout is the take alone.
  // (The template build checked that the server honours database names.)
  const sql = input.factory(
    postgresOptions(config, { max: input.max }),
  ) as unknown as Pg;
  const close = async (): Promise<void> => {
    try {
      await sql.end({ timeout: 1 });
    } finally {
      await drop(input.config, database);
    }
  };
  return { sql, config, schema: "public", close };
}

/**
 * Creates a database named `<prefix>_<run id>_<n>`, tracked for the helper to
 * drop when the process ends, and migrates it on one connection.
 */
export async function buildTemplate(
  input: SessionInput,
  prefix = "itkit_tpl",
): Promise<string> {
  const { factory, config } = input;
  const name = uniqueName(prefix, "_");
  startClonePool();
  // Tracked before it exists: a process killed right after CREATE DATABASE
  // still has its template dropped by the helper.
  await trackUntilExit(config, name);
  const admin = factory(postgresOptions(config, { max: 1 }));
  try {
    try {
      await admin.unsafe(`create database ${name}`);
    } catch (error) {
      throw createDbError(config, error);
    }
    // One connection: a migration may use BEGIN … COMMIT or sql.begin().
    const sql = factory(
      postgresOptions({ ...config, database: name }, { max: 1 }),
    ) as unknown as Pg;
    try {
      await expectDatabase(sql, name);
      if (input.migrate) {
        try {
          await input.migrate(sql);
        } catch (error) {
          throw new Error(
            `Cannot build ${
              prefix === "itkit_tpl" ? "template " : ""
            }database "${name}": migration failed: ${
              describe(error)
            } (the template was dropped)`,
            { cause: error },
          );
        }
      }
    } catch (error) {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`)
        .catch(() => {});
      throw error;
    }
    await sql.end({ timeout: 1 });
    return name;
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** Fails unless `sql` is connected to `database` (PGlite ignores the name). */
async function expectDatabase(sql: Pg, database: string): Promise<void> {
  const [row] = await sql<{ current: string }[]>`
    select current_database() as current`;
  if (row === undefined) {
    throw new Error("select current_database() returned no row");
  }
  const { current } = row;
  if (current !== database) {
    throw new Error(
      `the server connected to database "${current}" instead of "${database}" (PGlite serves a single database): isolations "database" and "truncate" are not available there; use "schema" or "transaction"`,
    );
  }
}
