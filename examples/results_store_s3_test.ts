import assert from "node:assert/strict";
import { integration } from "../mod.ts";
import { probeS3, s3Bucket } from "../s3.ts";
import { S3ResultsStore } from "./results_store.ts";

// Ignored, with the reason, when S3 (S3_ENDPOINT, default localhost:9000)
// is not reachable or refuses the credentials.
const s3 = await probeS3();

integration("results store saves a record to S3", {
  requires: [s3],
  fixtures: { bucket: s3Bucket.fixture({ prefix: "results" }) },
}, async (_t, { bucket }) => {
  const store = new S3ResultsStore(bucket.client, bucket.name);

  await store.saveToS3("runs/1.json", { model: "test", score: 100 });

  assert.equal(await store.existsInS3("runs/1.json"), true);
  assert.equal(await store.existsInS3("runs/2.json"), false);
});
