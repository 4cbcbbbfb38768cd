import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { probeS3, s3Bucket, s3Client, s3Config } from "../../s3.ts";
import { s3Reason } from "../../src/s3/_reason.ts";
import { bucketNames, ignoreWithoutRealS3, S3 } from "../_shared/services.ts";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";

Deno.test("s3Bucket() creates a uniquely named bucket and removes it and its objects on dispose", async () => {
  let name: string;
  {
    await using a = await s3Bucket({ config: S3 });
    await using b = await s3Bucket({ config: S3, prefix: "reports" });
    name = a.name;
    assert.match(a.name, /^itkit-[0-9a-z]{12,13}-\d+$/);
    assert.match(b.name, /^reports-[0-9a-z]{12,13}-\d+$/);
    assert.notEqual(a.name, b.name);
    assert.ok(a.name.length <= 63);
    for (const key of ["a.txt", "dir/b.txt", "dir/sub/c.txt"]) {
      await a.client.send(
        new PutObjectCommand({ Bucket: a.name, Key: key, Body: key }),
      );
    }
    assert.ok((await bucketNames()).includes(a.name));
  }
  assert.ok(
    !(await bucketNames()).includes(name),
    `bucket ${name} still exists`,
  );
});

Deno.test("s3Bucket() in a shared bucket deletes only its own prefix", async () => {
  const admin = await s3Client(S3);
  const shared = `shared-${crypto.randomUUID().slice(0, 8)}`;
  await admin.send(new CreateBucketCommand({ Bucket: shared }));
  try {
    await admin.send(
      new PutObjectCommand({ Bucket: shared, Key: "keep.txt", Body: "keep" }),
    );
    let prefix: string;
    {
      await using bucket = await s3Bucket({ config: S3, bucket: shared });
      prefix = bucket.keyPrefix;
      assert.equal(bucket.name, shared);
      assert.match(prefix, /^itkit-[0-9a-z]{12,13}-\d+\/$/);
      await bucket.client.send(
        new PutObjectCommand({
          Bucket: shared,
          Key: bucket.key("mine.txt"),
          Body: "x",
        }),
      );
    }
    const { Contents = [] } = await admin.send(
      new ListObjectsV2Command({ Bucket: shared }),
    );
    assert.deepEqual(Contents.map((o) => o.Key), ["keep.txt"]);
    await admin.send(new HeadBucketCommand({ Bucket: shared }));
  } finally {
    await admin.send(
      new DeleteObjectCommand({ Bucket: shared, Key: "keep.txt" }),
    );
    await admin.send(new DeleteBucketCommand({ Bucket: shared }));
    admin.destroy();
  }
});

Deno.test("s3Bucket() names the endpoint when it cannot create the bucket", async () => {
  const config = s3Config({ S3_ENDPOINT: `http://127.0.0.1:${closedPort()}` });
  await assert.rejects(
    () => s3Bucket({ config }),
    (error: Error) => {
      assert.match(
        error.message,
        new RegExp(
          `^Cannot create bucket "itkit-[0-9a-z]+-\\d+" at ${config.endpoint.origin}: `,
        ),
      );
      return true;
    },
  );
});

Deno.test("probeS3() passes for the store and tells refused from bad credentials", async () => {
  assert.equal((await probeS3(S3)).reason, "ok");
  const port = closedPort();
  assert.equal(
    (await probeS3(s3Config({ S3_ENDPOINT: `http://127.0.0.1:${port}` })))
      .reason,
    `connection refused 127.0.0.1:${port}`,
  );
  const bad = await probeS3({
    ...S3,
    accessKeyId: "nobody",
    secretAccessKey: "wrong",
  });
  assert.equal(bad.ok, false);
  assert.equal(
    bad.reason,
    'bad credentials (InvalidAccessKeyId: unknown access key id "nobody")',
  );
});

Deno.test({
  name: "probeS3() names the access key whose secret key is wrong",
  // s3rver checks no signature: a wrong secret key passes there.
  ignore: await ignoreWithoutRealS3(),
  async fn(): Promise<void> {
    const bad = await probeS3({ ...S3, secretAccessKey: "not-the-secret" });
    assert.equal(bad.ok, false);
    assert.equal(
      bad.reason,
      `bad credentials (SignatureDoesNotMatch: the secret key does not match the access key "${S3.accessKeyId}")`,
    );
  },
});

Deno.test("s3Reason() reads credential errors from the code when the server sends no message", () => {
  // Ceph RGW's auth errors have no message; the SDK then says "UnknownError".
  const error = (name: string) =>
    Object.assign(new Error("UnknownError"), {
      name,
      $metadata: { httpStatusCode: 403 },
    });
  assert.equal(
    s3Reason(error("SignatureDoesNotMatch"), "127.0.0.1:9000", "AKIA1"),
    'bad credentials (SignatureDoesNotMatch: the secret key does not match the access key "AKIA1")',
  );
  assert.equal(
    s3Reason(error("InvalidAccessKeyId"), "127.0.0.1:9000", "AKIA2"),
    'bad credentials (InvalidAccessKeyId: unknown access key id "AKIA2")',
  );
  assert.equal(
    s3Reason(error("ExpiredToken"), "127.0.0.1:9000", "AKIA3"),
    "bad credentials (ExpiredToken)",
  );
  assert.equal(
    s3Reason(error("SlowDown"), "127.0.0.1:9000", "AKIA3"),
    "HTTP 403 (SlowDown)",
  );
});

Deno.test("a declared s3Bucket gets the endpoint and nothing more", async () => {
  await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const run = await runDenoTest(["s3_permissions.ts"], {
    env: { ITKIT_OTHER_PORT: String((listener.addr as Deno.NetAddr).port) },
  });
  expectRun(
    run,
    run.passed === 1 && run.failed === 2,
    "1 pass, 2 denials expected",
  );
  assert.match(run.output, /uses its bucket \.\.\. ok/);
  assert.match(
    run.output,
    /NotCapable: Requires net access to "127\.0\.0\.1:\d+"/,
  );
  assert.match(run.output, /NotCapable: Requires read access to/);
});

Deno.test("s3Bucket() removes a bucket that has an open multipart upload", async () => {
  let name: string;
  {
    await using bucket = await s3Bucket({ config: S3 });
    name = bucket.name;
    const { UploadId } = await bucket.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: "big.bin" }),
    );
    await bucket.client.send(
      new UploadPartCommand({
        Bucket: bucket.name,
        Key: "big.bin",
        UploadId,
        PartNumber: 1,
        Body: new Uint8Array(5 * 1024 * 1024),
      }),
    );
  }
  assert.ok(
    !(await bucketNames()).includes(name),
    `bucket ${name} still exists`,
  );
});
