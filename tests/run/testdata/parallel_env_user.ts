// An integration test of another file that uses the services and reads the
// environment while parallel_env_setter.ts's env fixture wants its values in
// place (or is waiting for this test to end).
import assert from "node:assert/strict";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";
import { signal, waitFor } from "./_parallel_gate.ts";

const real = {
  DATABASE_URL: Deno.env.get("ITKIT_REAL_DATABASE_URL"),
  S3_ENDPOINT: Deno.env.get("ITKIT_REAL_S3_ENDPOINT"),
};

integration("a test of another file sees the real services", {
  // Reading /proc/locks takes --allow-all.
  permissions: "inherit",
  fixtures: { db: postgresDatabase.fixture(), bucket: s3Bucket.fixture() },
}, async (_t, { db, bucket }) => {
  // The setter's values are in place, or its test waits for this one.
  const how = await waitFor("env-set", "WRITE");
  const seen = {
    DATABASE_URL: Deno.env.get("DATABASE_URL"),
    S3_ENDPOINT: Deno.env.get("S3_ENDPOINT"),
  };
  signal("read");
  console.log(`USER went on: ${how}`);
  assert.deepEqual(seen, real);
  await db.sql`select 1`;
  await bucket.client.send(new HeadBucketCommand({ Bucket: bucket.name }));
});
