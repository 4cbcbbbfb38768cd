// Disposal empties any bucket: more than one listing page of versions and
// delete markers, null versions from suspended versioning, more than 1,000
// objects, open multipart uploads; in an own bucket and under a key prefix of
// a shared bucket. The versioned cases need a real engine (the RGW pass).
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { s3Bucket, s3Client } from "../../s3.ts";
import { emptyBucket } from "../../src/s3/empty_bucket.ts";
import { bucketNames, ignoreWithoutRealS3, S3 } from "../_shared/services.ts";

const ignoreVersioned = await ignoreWithoutRealS3();

/** Runs `work` over `items`, 32 at a time. */
async function inParallel<T>(
  items: T[],
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Fills `bucket` under `prefix`. Versioned: one key with 1,100 versions (the
 * first listing page ends inside them), 200 keys of which 100 deleted (a
 * delete marker each), then versioning suspended and 50 keys written again
 * (null versions): 1,450 entries. Unversioned: 1,001 objects. Both: an open
 * multipart upload.
 */
async function fill(
  client: S3Client,
  bucket: string,
  prefix: string,
  versioned: boolean,
): Promise<void> {
  const put = (Key: string, Body: string) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  if (versioned) {
    await client.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: "Enabled" },
      }),
    );
    await inParallel(
      Array.from({ length: 1100 }, (_, i) => String(i)),
      (body) => put(`${prefix}hot`, body),
    );
    const keys = Array.from({ length: 200 }, (_, i) => `${prefix}v/${i}`);
    await inParallel(keys, (key) => put(key, "1"));
    await inParallel(
      keys.slice(0, 100),
      (Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })),
    );
    await client.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    await inParallel(keys.slice(150), (key) => put(key, "null"));
    const page = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }),
    );
    assert.equal(page.IsTruncated, true, "more than one page of versions");
  } else {
    // One more than a DeleteObjects batch holds.
    const keys = Array.from({ length: 1001 }, (_, i) => `${prefix}o/${i}`);
    await inParallel(keys, (key) => put(key, "x"));
  }
  await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}big` }),
  );
}

/** What is left under `prefix`: versions, delete markers, uploads, objects. */
async function remaining(
  client: S3Client,
  bucket: string,
  prefix: string,
  real: boolean,
): Promise<string[]> {
  const Prefix = prefix || undefined;
  const left: string[] = [];
  if (real) {
    const v = await client.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix }),
    );
    for (const x of v.Versions ?? []) left.push(`version ${x.Key}`);
    for (const x of v.DeleteMarkers ?? []) left.push(`marker ${x.Key}`);
    const u = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix }),
    );
    for (const x of u.Uploads ?? []) left.push(`upload ${x.Key}`);
  }
  const o = await client.send(
    new ListObjectsCommand({ Bucket: bucket, Prefix }),
  );
  for (const x of o.Contents ?? []) left.push(`object ${x.Key}`);
  return left;
}

for (const versioned of [true, false]) {
  const what = versioned
    ? "more than 1,000 versions and delete markers, null versions (suspended versioning) and an open upload"
    : "more than 1,000 objects and an open upload";

  Deno.test({
    name: `s3Bucket() disposal removes a bucket holding ${what}`,
    ignore: versioned && ignoreVersioned,
    async fn(): Promise<void> {
      let name: string;
      {
        await using bucket = await s3Bucket({ config: S3 });
        name = bucket.name;
        await fill(bucket.client as S3Client, bucket.name, "", versioned);
      }
      assert.ok(
        !(await bucketNames()).includes(name),
        `bucket ${name} still exists`,
      );
    },
  });

  Deno.test({
    name:
      `s3Bucket() disposal in a shared bucket removes ${what} under its prefix only`,
    ignore: versioned && ignoreVersioned,
    async fn(): Promise<void> {
      const admin = await s3Client(S3) as S3Client;
      const real = !ignoreVersioned;
      const shared = `shared-${crypto.randomUUID().slice(0, 8)}`;
      await admin.send(new CreateBucketCommand({ Bucket: shared }));
      try {
        // Someone else's data: an object (two versions when versioned).
        if (versioned) {
          await admin.send(
            new PutBucketVersioningCommand({
              Bucket: shared,
              VersioningConfiguration: { Status: "Enabled" },
            }),
          );
        }
        for (const body of versioned ? ["1", "2"] : ["1"]) {
          await admin.send(
            new PutObjectCommand({ Bucket: shared, Key: "keep", Body: body }),
          );
        }
        let prefix: string;
        {
          await using bucket = await s3Bucket({ config: S3, bucket: shared });
          prefix = bucket.keyPrefix;
          await fill(admin, shared, prefix, versioned);
        }
        assert.deepEqual(await remaining(admin, shared, prefix, real), []);
        const kept = await remaining(admin, shared, "", real);
        assert.deepEqual(
          kept,
          real && versioned
            ? ["version keep", "version keep", "object keep"]
            : real
            ? ["version keep", "object keep"]
            : ["object keep"],
        );
      } finally {
        await emptyBucket(admin, shared);
        await admin.send(new DeleteBucketCommand({ Bucket: shared }));
        admin.destroy();
      }
    },
  });
}
