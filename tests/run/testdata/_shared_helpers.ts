// The files of a `deno test --parallel` run that share their process's
// reaper and clone helper (shared_helpers_*.ts): each declares a temp dir, a
// bucket, and a database in "truncate" and in "database" isolation, with
// migrations named the same in every file (each says when it runs). The test
// checks that it sees its own rows only, prints READY with what it holds,
// then hangs (ITKIT_HANG=1) or, with ITKIT_SHARED_MARKER, lets the other
// files know what it held (its temp dir) and waits until what the first file
// held is gone before it ends: a file that ended has its resources removed
// while the others still run.
import assert from "node:assert/strict";
import { integration, tmpDir } from "../../../mod.ts";
import { postgresDatabase, type PostgresSql } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

const hang = Deno.env.get("ITKIT_HANG") === "1";
const marker = Deno.env.get("ITKIT_SHARED_MARKER");

async function migrate(kind: string, sql: PostgresSql): Promise<void> {
  console.log(`MIGRATED ${kind}`);
  await sql`create table items (name text)`;
}

/**
 * Registers the file's test.
 *
 * @param file Its letter.
 */
export function sharedHelpersFile(file: string): void {
  integration(`shared helpers: file ${file}`, {
    // The marker, and the other files' temp dirs.
    ...(marker ? { permissions: { read: true, write: [marker] } } : {}),
    fixtures: {
      dir: tmpDir.fixture(),
      bucket: s3Bucket.fixture(),
      kept: postgresDatabase.fixture({
        isolation: "truncate",
        name: "shared-helpers-truncate",
        migrate: (sql) => migrate("truncate", sql),
      }),
      cloned: postgresDatabase.fixture({
        isolation: "database",
        name: "shared-helpers-database",
        migrate: (sql) => migrate("database", sql),
      }),
    },
  }, async (_t, { dir, bucket, kept, cloned }) => {
    for (const db of [kept, cloned]) {
      await db.sql`insert into items values (${file})`;
      const rows = await db.sql<{ name: string }[]>`select name from items`;
      assert.deepEqual(rows.map((r) => r.name), [file]);
    }
    console.log(
      `READY ${file} ${dir.path} ${bucket.name} ${kept.database} ${cloned.database}`,
    );
    if (hang) await new Promise(() => setInterval(() => {}, 1000));
    if (marker === undefined) return;
    await Deno.writeTextFile(marker, `${file} ${dir.path}\n`, { append: true });
    if (file === "a") return;
    // The first file's temp dir (its parent, the declaration's, goes when
    // that file's worker ends), gone while this one runs.
    const until = Date.now() + 60_000; // the first file's whole run, loaded
    for (;;) {
      const a = /^a (\S+)$/m.exec(await Deno.readTextFile(marker))?.[1];
      const parent = a?.replace(/\/[^/]+$/, "");
      const gone = parent !== undefined &&
        await Deno.stat(parent).then(() => false, () => true);
      if (gone) break;
      if (Date.now() > until) {
        throw new Error(
          `file a's temp dir ${a ?? "(not yet made)"} is still there`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`SAW A GONE ${file}`);
  });
}
