/**
 * The hand-written suites' global setup and teardown, as a `pretest` script
 * would run them around `deno test`: `setup <name>` creates the database
 * `<name>` on `DATABASE_URL`'s server and migrates it with the app's
 * migrator (printing `BENCH migrate global <ms>`); `teardown <name>` drops
 * it.
 *
 * @module
 */

import postgres from "postgres";
import { migrate } from "./app/mod.ts";

/**
 * `url` with its database replaced by `database`.
 *
 * @param url A connection string.
 * @param database A database name.
 * @returns The connection string of that database.
 *
 * @example
 * ```ts
 * import { databaseUrl } from "./global_setup.ts";
 * console.log(databaseUrl("postgres://u@h:5432/postgres", "app")); // postgres://u@h:5432/app
 * ```
 */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
}

if (import.meta.main) {
  const [command, name] = Deno.args;
  const url = Deno.env.get("DATABASE_URL");
  if (!url || !name || !/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new TypeError(
      "Cannot run the global setup: expected `setup|teardown <database>` and DATABASE_URL",
    );
  }
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    if (command === "setup") {
      await admin.unsafe(`create database ${name}`);
      const sql = postgres(databaseUrl(url, name), {
        max: 1,
        onnotice: () => {},
      });
      try {
        const { ms } = await migrate(sql);
        console.log(`BENCH migrate global ${ms.toFixed(1)}`);
      } finally {
        await sql.end();
      }
    } else if (command === "teardown") {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    } else {
      throw new TypeError(
        `Cannot run the global setup: unknown command ${command}`,
      );
    }
  } finally {
    await admin.end();
  }
}
