// Starts PGlite (ITKIT_CACHE_DIR set by the parent) and prints the server's
// cluster_name: a start that loaded a cached data directory the parent
// marked (see tests/pglite_test.ts) is told from one that initialized anew.
import postgres from "npm:postgres@^3.4.9";
import { startPglite } from "../../services.ts";

await using pg = await startPglite();
const sql = postgres(pg.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
try {
  const [row] = await sql<{ name: string }[]>`
    select current_setting('cluster_name') as name`;
  console.log(`CLUSTER NAME "${row!.name}"`);
} finally {
  await sql.end();
}
