import { PutObjectCommand } from "@aws-sdk/client-s3";
import { integration } from "../../../mod.ts";
import { localServices } from "../../../services.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

await using services = await localServices();
console.log(`SERVICES ${JSON.stringify(services.services)}`);

integration("uses the local services", {
  fixtures: {
    db: postgresDatabase.fixture({ isolation: "schema" }),
    bucket: s3Bucket.fixture(),
  },
}, async (_t, { db, bucket }) => {
  await db.sql`create table t (x int)`;
  await bucket.client.send(
    new PutObjectCommand({ Bucket: bucket.name, Key: "k", Body: "v" }),
  );
});
