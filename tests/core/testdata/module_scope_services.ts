// A module-scoped database and bucket shared (knowingly) by two tests: the
// second sees what the first wrote. Run with sanitizers on.
import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { integration } from "../../../mod.ts";
import { postgresDatabase, probePostgres } from "../../../postgres.ts";
import { probeS3, s3Bucket } from "../../../s3.ts";

const pg = await probePostgres();
const s3 = await probeS3();
const db = postgresDatabase.fixture({
  scope: "module",
  isolation: "schema",
  requires: [pg],
});
const bucket = s3Bucket.fixture({ scope: "module", requires: [s3] });

integration(
  "first writes",
  { fixtures: { db, bucket } },
  async (_t, { db, bucket }) => {
    await db.sql`create table notes (body text)`;
    await db.sql`insert into notes values ('hello')`;
    await bucket.client.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: bucket.key("a.txt"),
        Body: "hi",
      }),
    );
    console.log(`SCHEMA ${db.schema} BUCKET ${bucket.name}`);
  },
);

integration(
  "second reads what the first wrote",
  { fixtures: { db, bucket } },
  async (_t, { db, bucket }) => {
    const rows = await db.sql<{ body: string }[]>`select body from notes`;
    assert.deepEqual(rows.map((r) => r.body), ["hello"]);
    const object = await bucket.client.send(
      new GetObjectCommand({ Bucket: bucket.name, Key: bucket.key("a.txt") }),
    );
    assert.equal(await object.Body?.transformToString(), "hi");
  },
);
