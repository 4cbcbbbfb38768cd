import assert from "node:assert/strict";
import { s3Config, s3Permissions } from "../mod.ts";

Deno.test("s3Config() has MinIO's local defaults", () => {
  const config = s3Config({});
  assert.equal(config.endpoint.href, "http://localhost:9000/");
  assert.equal(config.accessKeyId, "minioadmin");
  assert.equal(config.secretAccessKey, "minioadmin");
  assert.equal(config.region, "us-east-1");
});

Deno.test("s3Config() names a malformed variable, its value and the expected form", () => {
  const cases: [Record<string, string>, string][] = [
    [
      { S3_ENDPOINT: "localhost:9000" },
      'Cannot configure S3: S3_ENDPOINT "localhost:9000" is not an endpoint URL (expected http://host:port, e.g. http://localhost:9000)',
    ],
    [
      { S3_ENDPOINT: "ftp://127.0.0.1:21" },
      'Cannot configure S3: S3_ENDPOINT "ftp://127.0.0.1:21" is not an endpoint URL (expected http://host:port, e.g. http://localhost:9000)',
    ],
    [
      { S3_ENDPOINT: "http://127.0.0.1:9000/bucket" },
      'Cannot configure S3: S3_ENDPOINT "http://127.0.0.1:9000/bucket" is not an endpoint URL (expected http://host:port, e.g. http://localhost:9000)',
    ],
    [
      { S3_ACCESS_KEY: "mini admin" },
      'Cannot configure S3: S3_ACCESS_KEY "mini admin" contains white space (expected an access key id such as minioadmin)',
    ],
    [
      { S3_SECRET_KEY: "top secret" },
      'Cannot configure S3: S3_SECRET_KEY "***" contains white space (expected a secret key such as minioadmin)',
    ],
    [
      { S3_REGION: "US East" },
      'Cannot configure S3: S3_REGION "US East" is not a region (expected a name such as us-east-1)',
    ],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => s3Config(env), new TypeError(message));
  }
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
