// The leftover check's S3 part (cli.ts run ends with it): every bucket on the
// store, with its object count.
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { s3Client } from "../s3.ts";
import { listBuckets } from "../services.ts";
import { S3 } from "./_services.ts";

Deno.test("listBuckets() names a bucket left on the store, with its object count", async () => {
  const admin = await s3Client(S3);
  const Bucket = `left-${crypto.randomUUID().slice(0, 8)}`;
  await admin.send(new CreateBucketCommand({ Bucket }));
  try {
    for (const Key of ["a", "b"]) {
      await admin.send(new PutObjectCommand({ Bucket, Key, Body: "x" }));
    }
    assert.ok(
      (await listBuckets(S3)).includes(`bucket ${Bucket} (2 objects)`),
      String(await listBuckets(S3)),
    );
  } finally {
    for (const Key of ["a", "b"]) {
      await admin.send(new DeleteObjectCommand({ Bucket, Key }));
    }
    await admin.send(new DeleteBucketCommand({ Bucket }));
    admin.destroy();
  }
  assert.ok(
    !(await listBuckets(S3)).some((line) => line.includes(Bucket)),
    "the bucket is gone from the list",
  );
});
