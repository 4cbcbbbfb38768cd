/**
 * What the hand-written suites run between tests to put the database back
 * to its migrated state: the tables that hold no migrated rows (the
 * reference tables are never written by the tests) are emptied, by one
 * `TRUNCATE … RESTART IDENTITY CASCADE` or by `DELETE`s in dependency order
 * (referencing tables first), in one round trip. Built once per file from
 * the catalog.
 *
 * @module
 */

import type { Sql } from "./app/mod.ts";

/** How the tables are emptied. */
export type ResetKind = "truncate" | "delete";

/**
 * The reset statement of the migrated database `sql` is connected to.
 *
 * @param sql A client of the migrated database.
 * @param kind `truncate` or `delete`.
 * @returns The SQL to run after each test.
 *
 * @example
 * ```ts ignore
 * const reset = await resetStatement(app.sql, "truncate");
 * await app.sql.unsafe(reset);
 * ```
 */
export async function resetStatement(
  sql: Sql,
  kind: ResetKind,
): Promise<string> {
  const tables = await sql<{ name: string; rows: boolean }[]>`
    select format('%I.%I', n.nspname, c.relname) as name,
      (xpath('/row/n/text()', query_to_xml(format('select exists (select from %I.%I) as n', n.nspname, c.relname), false, true, '')))[1]::text::boolean as rows
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname in ('billing', 'jobs')
    order by 1`;
  const empty = tables.filter((t) => !t.rows).map((t) => t.name);
  if (kind === "truncate") {
    return `truncate ${empty.join(", ")} restart identity cascade`;
  }
  // Referencing tables before the tables they reference.
  const edges = await sql<{ child: string; parent: string }[]>`
    select format('%I.%I', cn.nspname, c.relname) as child,
      format('%I.%I', pn.nspname, p.relname) as parent
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
    join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
    where k.contype = 'f' and k.conrelid <> k.confrelid`;
  const order: string[] = [];
  const left = new Set(empty);
  while (left.size) {
    const ready = [...left].filter((t) =>
      !edges.some((e) => e.parent === t && left.has(e.child))
    );
    if (ready.length === 0) throw new Error("reference cycle among tables");
    for (const t of ready) {
      order.push(t);
      left.delete(t);
    }
  }
  return order.map((t) => `delete from ${t};`).join(" ");
}
