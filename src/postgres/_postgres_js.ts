// Internal: postgres.js 4's client type, for `PostgresSql`. Named through a
// namespace because `deno doc --lint` (Deno 2.9.6) reports a public type that
// names a type of an npm package directly as referencing a private type
// (denoland/deno#27364); postgres.js 3's own types were one namespace
// (`export =`), so `PostgresSql` passed while it named them.

import type { Sql } from "npm:postgres@^4.2.0";

export declare namespace postgresJs {
  /** postgres.js 4's `Sql`, as a database fixture hands it out. */
  type ClientSql = Sql<Record<string, unknown>>;
}
