// One of several runs sharing a PostgreSQL server, an S3 store and a temp
// dir with sweeps: a test that makes one of every resource (a temp dir, an
// own bucket, a key prefix in the shared bucket SHARED_BUCKET, a database in
// each isolation, a row in each, the transaction's kept open), prints READY
// with their names, holds them until the file RELEASE_FILE exists, then
// checks that every one is still there, with its data.
import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { integration, tmpDir } from "../../../mod.ts";
import { postgresDatabase, type PostgresSql } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

const release = Deno.env.get("RELEASE_FILE")!;
const shared = Deno.env.get("SHARED_BUCKET")!;
const migrate = (sql: PostgresSql) => sql`create table kept (x int)`;

integration("holds one of every resource while sweeps run beside it", {
  permissions: { read: [release] },
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture(),
    prefix: s3Bucket.fixture({ bucket: shared }),
    schema: postgresDatabase.fixture({ isolation: "schema", migrate }),
    tx: postgresDatabase.fixture({ isolation: "transaction", migrate }),
    truncate: postgresDatabase.fixture({ isolation: "truncate", migrate }),
    database: postgresDatabase.fixture({ isolation: "database", migrate }),
  },
}, async (_t, f) => {
  await Deno.writeTextFile(f.dir.join("kept.txt"), "kept");
  for (const b of [f.bucket, f.prefix]) {
    await b.client.send(
      new PutObjectCommand({ Bucket: b.name, Key: b.key("kept"), Body: "x" }),
    );
  }
  const dbs = [f.schema, f.tx, f.truncate, f.database];
  // The transaction's row keeps a lock on its table until the test ends.
  for (const db of dbs) await db.sql`insert into kept values (1)`;
  console.log(
    `READY ${f.dir.path} ${f.bucket.name} ${f.prefix.name}/${f.prefix.keyPrefix} ${f.schema.schema} ${f.tx.schema} ${f.truncate.database} ${f.database.database}`,
  );
  while (!await exists(release)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await Deno.readTextFile(f.dir.join("kept.txt")), "kept");
  for (const b of [f.bucket, f.prefix]) {
    const object = await b.client.send(
      new GetObjectCommand({ Bucket: b.name, Key: b.key("kept") }),
    );
    assert.equal(await object.Body?.transformToString(), "x");
  }
  for (const db of dbs) {
    const rows = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from kept`;
    assert.equal(rows[0]?.n, 1, `${db.isolation}: its row`);
  }
  console.log("CHECKED");
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
