// The leftover check's S3 part (cli.ts run ends with it): every bucket on the
// store, with its object count.
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { s3Client } from "../../s3.ts";
import { listBuckets } from "../../services.ts";
import { leaseBucket } from "../../src/run/naming.ts";
import { S3 } from "../_shared/services.ts";

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

Deno.test("listBuckets() counts a run alive whose lease bucket was just made, its lease not written yet, as the sweep does", async () => {
  // Another run on the store, between its lease holder's CreateBucket and
  // its first PutObject: its buckets are not leftovers.
  const runId = Date.now().toString(36) + "beef";
  const names = [leaseBucket(runId), `itkit-${runId}-1`];
  const admin = await s3Client(S3);
  try {
    for (const Bucket of names) {
      await admin.send(new CreateBucketCommand({ Bucket }));
    }
    const listed = await listBuckets(S3);
    for (const name of names) {
      assert.ok(
        !listed.some((line) => line.includes(name)),
        `${name} was listed: ${listed.join("; ")}`,
      );
    }
    // Without the liveness rule, they are.
    const all = await listBuckets(S3, { includeLive: true });
    for (const name of names) {
      assert.ok(all.some((line) => line.includes(name)), all.join("; "));
    }
  } finally {
    for (const Bucket of names) {
      await admin.send(new DeleteBucketCommand({ Bucket }));
    }
    admin.destroy();
  }
});
