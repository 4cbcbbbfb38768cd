import assert from "node:assert/strict";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { integration, tmpDir } from "../mod.ts";
import { probeS3, s3Bucket } from "../s3.ts";

const s3 = await probeS3();

integration("uploads a local file to MinIO/S3 and reads it back", {
  requires: [s3],
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture({ prefix: "uploads" }),
  },
}, async (_t, { dir, bucket }) => {
  const file = dir.join("report.csv");
  await Deno.writeTextFile(file, "model,score\ntest,100\n");

  await bucket.client.send(
    new PutObjectCommand({
      Bucket: bucket.name,
      Key: bucket.key("reports/report.csv"),
      Body: await Deno.readFile(file),
    }),
  );

  const object = await bucket.client.send(
    new GetObjectCommand({
      Bucket: bucket.name,
      Key: bucket.key("reports/report.csv"),
    }),
  );
  assert.equal(
    await object.Body?.transformToString(),
    "model,score\ntest,100\n",
  );
});
