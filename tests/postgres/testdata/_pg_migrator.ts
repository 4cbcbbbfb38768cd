// A migrator of the app's own: applies the .sql files of a directory, in
// name order, on a postgres.js pool of its own opened from a connection
// string. Imported (applyMigrations), or run as a program with DATABASE_URL
// in its environment: `deno run --allow-net --allow-env --allow-read
// _pg_migrator.ts <dir>`.
import postgres from "postgres";

/** Applies the migrations in `dir` to the database `url` lands in. */
export async function applyMigrations(
  url: string,
  dir: string,
): Promise<string[]> {
  const files = [...Deno.readDirSync(dir)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const file of files) {
      await sql.unsafe(await Deno.readTextFile(`${dir}/${file}`));
    }
  } finally {
    await sql.end();
  }
  return files;
}

if (import.meta.main) {
  const url = Deno.env.get("DATABASE_URL");
  const [dir] = Deno.args;
  if (!url || !dir) {
    throw new Error("usage: DATABASE_URL=… _pg_migrator.ts <dir>");
  }
  console.log(`APPLIED ${(await applyMigrations(url, dir)).join(" ")}`);
}
