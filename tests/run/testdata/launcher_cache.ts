// Starts PGlite (`pglite`) or a native PostgreSQL cluster (`postgres`), with
// ITKIT_CACHE_DIR set by the parent, and prints the server's cluster_name: a
// start from a cached data directory the parent marked (see
// tests/run/launcher_cache_test.ts) is told from one that initialized anew.
import postgres from "npm:postgres@^4.2.0";
import { startPglite, startPostgresServer } from "../../../services.ts";

await using pg = Deno.args[0] === "pglite"
  ? await startPglite()
  : await startPostgresServer();
const sql = postgres(pg.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
try {
  const [row] = await sql<{ name: string }[]>`
    select current_setting('cluster_name') as name`;
  console.log(`CLUSTER NAME "${row!.name}"`);
} finally {
  await sql.end();
}
