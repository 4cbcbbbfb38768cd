/**
 * The vitest-style suite: the shape of the originals the toolkit's users
 * port. A global setup migrated one database and pointed `DATABASE_URL` at
 * it; the files run one after another, each opening the app's pool from
 * `DATABASE_URL` and truncating the tables after each test (`afterEach`;
 * `BENCH_RESET=delete`: deleting their rows instead).
 *
 * @module
 */

import { createApp } from "../app/mod.ts";
import type { Area, Case } from "../cases/case.ts";
import { type ResetKind, resetStatement } from "../_reset.ts";

/**
 * Registers `cases` as the tests of one file, on the shared database.
 *
 * @param area The file's name.
 * @param cases The file's cases.
 *
 * @example
 * ```ts ignore
 * import { cases } from "../cases/customers.ts";
 * await vitestStyleSuite("customers", cases);
 * ```
 */
export async function vitestStyleSuite(
  area: Area,
  cases: Case[],
): Promise<void> {
  const app = createApp(Deno.env.get("DATABASE_URL")!);
  const kind = (Deno.env.get("BENCH_RESET") ?? "truncate") as ResetKind;
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
  Deno.test("close the pool", async () => {
    console.log(`BENCH reset ${area} ${resetMs.toFixed(1)} ${cases.length}`);
    await app.close();
  });
}
