import assert from "node:assert/strict";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { defineFixture, integration } from "../mod.ts";
import {
  probeS3,
  s3Client,
  type S3ClientLike,
  type S3Config,
  s3Config,
  s3Permissions,
} from "../s3.ts";

/** An S3 client configured from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION. */
interface S3Settings extends AsyncDisposable {
  config: S3Config;
  client: S3ClientLike;
}

const s3Settings = defineFixture<{ config?: S3Config }, S3Settings>({
  name: "s3Settings",
  prepare: (options) => ({ config: options?.config ?? s3Config() }),
  permissions: (options) => s3Permissions(options.config!),
  setup: async (options) => {
    const client = await s3Client(options.config!);
    return {
      config: options.config!,
      client,
      [Symbol.asyncDispose]: () => Promise.resolve(client.destroy()),
    };
  },
});

const s3 = await probeS3();
const endpoint = Deno.env.get("S3_ENDPOINT") ?? "http://localhost:9000";

integration("S3 settings come from the environment", {
  requires: [s3],
  fixtures: { s3: s3Settings.fixture() },
}, async (_t, { s3 }) => {
  assert.equal(s3.config.endpoint.href, new URL(endpoint).href);
  const { Buckets } = await s3.client.send(new ListBucketsCommand({}));
  assert.ok(Array.isArray(Buckets ?? []));
});
