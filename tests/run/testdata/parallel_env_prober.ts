// Starts loading the toolkit only once parallel_env_setter.ts's env fixture
// has its values in place, then probes the services at top level.
import { signal, waitFor } from "./_parallel_gate.ts";

await waitFor("env-set");
signal("loading");
const { delay, integration } = await import("../../../mod.ts");
const { postgresDatabase, probePostgres } = await import(
  "../../../postgres.ts"
);
const { probeS3, s3Bucket } = await import("../../../s3.ts");

const db = await probePostgres();
const s3 = await probeS3();
signal("probed");
console.log(
  `PROBED postgres ${db.ok ? "ok" : db.reason}, s3 ${s3.ok ? "ok" : s3.reason}`,
);

for (let i = 1; i <= 3; i++) {
  integration(`the prober uses the services ${i}`, {
    requires: [db, s3],
    fixtures: { db: postgresDatabase.fixture(), bucket: s3Bucket.fixture() },
  }, async (_t, { db, bucket }) => {
    await db.sql`select 1`;
    await bucket.client.send(
      new (await import("@aws-sdk/client-s3")).HeadBucketCommand({
        Bucket: bucket.name,
      }),
    );
    await delay(1);
  });
}
