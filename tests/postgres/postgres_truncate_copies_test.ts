// Issue 28: isolation "truncate" keeps one migrated database per worker, and
// a worker that ends hands its database to the next file instead of having
// it dropped and a new clone made: files one after another (or more files
// than `--parallel` workers) share copies, each handed over reset, even when
// the file before left it changed, and all of them are dropped at the end.
import assert from "node:assert/strict";
import { itkitObjects, itkitObjectsSince } from "../_shared/services.ts";
import { expectRun, runInlineTest } from "../_shared/harness.ts";

const SANITIZE = ["--sanitize-ops", "--sanitize-resources"];

/** What a test file does beside its test in its copy. */
interface FileOptions {
  /**
   * Write to the copy behind the toolkit's back after the test (as a test
   * killed mid-way would leave it: a row, and the sequence moved).
   */
  leave?: boolean;
  /** Milliseconds a plain test waits before the test in the copy. */
  waitBefore?: number;
  /** Milliseconds a plain test waits after it (the file holds its copy). */
  holdAfter?: number;
}

/**
 * A file whose test says where it worked and what it found (`FOUND <file>
 * <rows> <next id> <database>`).
 */
function file(name: string, options: FileOptions = {}): string {
  const wait = (what: string, ms: number | undefined) =>
    ms === undefined ? "" : `
Deno.test("${name} ${what}", async () => {
  await new Promise((resolve) => setTimeout(resolve, ${ms}));
});`;
  return `
import postgres from "postgres";
import { integration } from "@itkit/core";
import { postgresDatabase, probePostgres } from "@itkit/core/postgres";

const pg = await probePostgres();
let url = "";
${wait("waits", options.waitBefore)}
integration("${name} works in its copy", {
  requires: [pg],
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "truncate",
      name: "copies",
      migrate: async (sql) => {
        console.log("MIGRATED");
        await sql\`create table notes (id serial primary key, text text)\`;
      },
    }),
  },
}, async (_t, { db }) => {
  url = db.url;
  const [{ n }] = await db.sql\`select count(*)::int as n from notes\`;
  const [{ id }] = await db.sql\`insert into notes (text) values ('${name}') returning id\`;
  console.log("FOUND ${name} " + n + " " + id + " " + db.database);
});
${
    options.leave
      ? `
Deno.test("${name} leaves its copy changed", async () => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql\`insert into notes (text) values ('left behind')\`;
  await sql\`select nextval('notes_id_seq')\`;
  await sql.end();
});`
      : ""
  }
${wait("holds", options.holdAfter)}
`;
}

/** What each file's test found: `FOUND` lines. */
function found(
  output: string,
): { name: string; rows: string; id: string; database: string }[] {
  return [...output.matchAll(/^FOUND (\w) (\d+) (\d+) (\S+)$/gm)].map((
    m,
  ) => ({ name: m[1]!, rows: m[2]!, id: m[3]!, database: m[4]! }));
}

/** How many times the migration ran. */
function migrations(output: string): number {
  return output.match(/^MIGRATED$/gm)?.length ?? 0;
}

Deno.test('isolation "truncate": files one after another share one database, each handed over reset (even one the file before left changed), dropped at the end', async () => {
  const before = await itkitObjects();
  const run = await runInlineTest({
    "a_test.ts": file("a", { leave: true }),
    "b_test.ts": file("b", { leave: true }),
    "c_test.ts": file("c"),
  }, { args: SANITIZE });
  expectRun(run, run.code === 0 && run.passed === 5, "5 tests should pass");
  const files = found(run.output);
  assert.equal(files.length, 3, run.output);
  // Each file found the migrated state: no row, the sequence at its start.
  for (const f of files) {
    assert.deepEqual([f.rows, f.id], ["0", "1"], `${f.name}: ${run.output}`);
  }
  // One database for the three files, one after another.
  assert.equal(new Set(files.map((f) => f.database)).size, 1, run.output);
  assert.match(files[0]!.database, /^itkit_/);
  assert.equal(migrations(run.output), 1, run.output);
  assert.deepEqual(await itkitObjectsSince(before), []);
});

Deno.test('isolation "truncate" under --parallel: four files on two workers use at most two databases, and each file finds its database in its migrated state', async () => {
  const before = await itkitObjects();
  const run = await runInlineTest({
    "a_test.ts": file("a"),
    "b_test.ts": file("b", { leave: true }),
    "c_test.ts": file("c"),
    "d_test.ts": file("d"),
  }, { args: ["--parallel", ...SANITIZE], env: { DENO_JOBS: "2" } });
  expectRun(run, run.code === 0 && run.passed === 5, "5 tests should pass");
  const files = found(run.output);
  assert.equal(files.length, 4, run.output);
  for (const f of files) {
    assert.deepEqual([f.rows, f.id], ["0", "1"], `${f.name}: ${run.output}`);
  }
  const databases = new Set(files.map((f) => f.database));
  assert.ok(databases.size <= 2, run.output);
  assert.equal(migrations(run.output), 1, run.output);
  assert.deepEqual(await itkitObjectsSince(before), []);
});

Deno.test('isolation "truncate" under --parallel: a file that starts while every database is in use gets a new clone, in its migrated state (the migration runs once), dropped at the end', async () => {
  const before = await itkitObjects();
  const run = await runInlineTest({
    "a_test.ts": file("a", { holdAfter: 2_500 }),
    "b_test.ts": file("b", { waitBefore: 1_000 }),
  }, { args: ["--parallel", ...SANITIZE], env: { DENO_JOBS: "2" } });
  expectRun(run, run.code === 0 && run.passed === 4, "4 tests should pass");
  const [a, b] = ["a", "b"].map((name) =>
    found(run.output).find((f) => f.name === name)
  );
  assert.ok(a && b, run.output);
  assert.deepEqual([a.rows, a.id, b.rows, b.id], ["0", "1", "0", "1"]);
  assert.notEqual(a.database, b.database);
  assert.equal(migrations(run.output), 1, run.output);
  assert.deepEqual(await itkitObjectsSince(before), []);
});
