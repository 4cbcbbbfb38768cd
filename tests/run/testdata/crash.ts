// A test that creates one of everything, says READY, and hangs until killed.
import { integration, tmpDir } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

integration("is killed mid-test", {
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture(),
    schema: postgresDatabase.fixture({ isolation: "schema" }),
    db: postgresDatabase.fixture({ isolation: "database" }),
  },
}, async (_t, { dir, bucket, schema, db }) => {
  console.log(
    `READY ${dir.path} ${bucket.name} ${schema.schema} ${db.database}`,
  );
  await new Promise(() => setInterval(() => {}, 1000));
});
