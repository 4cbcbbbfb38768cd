/**
 * The hand-written parallel suite: what a skilled user writes without the
 * toolkit for files that run in parallel. Each file makes its own database
 * when it loads: a clone of the template a global setup migrated
 * (`BENCH_TEMPLATE`), else a new database it migrates itself; it opens the
 * app's pool on it, runs each case, empties the tables after each
 * (`BENCH_RESET`: `delete`, the default, or `truncate`), and drops the
 * database after its last test.
 *
 * @module
 */

import postgres from "postgres";
import { createApp, migrate } from "../app/mod.ts";
import type { Area, Case } from "../cases/case.ts";
import { databaseUrl } from "../global_setup.ts";
import { type ResetKind, resetStatement } from "../_reset.ts";

/**
 * Registers `cases` as the tests of the file `area`, on a database of its
 * own.
 *
 * @param area The file's name.
 * @param cases Its cases.
 *
 * @example
 * ```ts ignore
 * import { cases } from "../cases/customers.ts";
 * await handSuite("customers", cases);
 * ```
 */
export async function handSuite(area: Area, cases: Case[]): Promise<void> {
  const url = Deno.env.get("DATABASE_URL")!;
  const template = Deno.env.get("BENCH_TEMPLATE");
  const kind = (Deno.env.get("BENCH_RESET") ?? "delete") as ResetKind;
  const name = `bench_hand_${area}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(
    `create database ${name}${template ? ` template ${template}` : ""}`,
  );
  const app = createApp(databaseUrl(url, name));
  if (!template) {
    const { ms } = await migrate(app.sql);
    console.log(`BENCH migrate ${area} ${ms.toFixed(1)}`);
  }
  const reset = await resetStatement(app.sql, kind);
  // The bench reads the resets' time (printed by the last test).
  let resetMs = 0;
  for (const c of cases) {
    Deno.test(c.name, async () => {
      try {
        await c.run(app);
      } finally {
        const started = performance.now();
        await app.sql.unsafe(reset);
        resetMs += performance.now() - started;
      }
    });
  }
  Deno.test("drop the file's database", async () => {
    console.log(`BENCH reset ${area} ${resetMs.toFixed(1)} ${cases.length}`);
    await app.close();
    await admin.unsafe(`drop database ${name}`);
    await admin.end();
  });
}
