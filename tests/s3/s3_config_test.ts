import assert from "node:assert/strict";
import { s3Config, s3Permissions } from "../../s3.ts";

Deno.test("s3Config() has MinIO's local defaults", () => {
  const config = s3Config({});
  assert.equal(config.endpoint.href, "http://localhost:9000/");
  assert.equal(config.accessKeyId, "minioadmin");
  assert.equal(config.secretAccessKey, "minioadmin");
  assert.equal(config.region, "us-east-1");
});

Deno.test("s3Permissions() grants the endpoint and the SDK's own variables only", () => {
  const permissions = s3Permissions(
    s3Config({ S3_ENDPOINT: "http://127.0.0.1:9000" }),
  );
  assert.deepEqual(Object.keys(permissions).sort(), ["env", "net"]);
  assert.deepEqual(permissions.net, ["127.0.0.1:9000"]);
  assert.ok(
    (permissions.env as string[]).every((name) => !name.startsWith("S3_")),
  );
});
