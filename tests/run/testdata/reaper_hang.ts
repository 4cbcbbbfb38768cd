// One test per fixture kind that removes something outside the process
// (temp dir with a custom prefix, bucket, schema, cloned database): each
// prints READY with what it created. With ITKIT_HANG=1 the first test hangs
// until the process is killed; otherwise they pass.
import { integration, tmpDir } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

const hang = Deno.env.get("ITKIT_HANG") === "1";

integration("holds one of everything", {
  fixtures: {
    dir: tmpDir.fixture({ prefix: "report-" }),
    bucket: s3Bucket.fixture(),
    schema: postgresDatabase.fixture({ isolation: "schema" }),
    db: postgresDatabase.fixture({ isolation: "database" }),
  },
}, async (_t, { dir, bucket, schema, db }) => {
  console.log(
    `READY ${dir.path} ${bucket.name} ${schema.schema} ${db.database}`,
  );
  if (hang) await new Promise(() => setInterval(() => {}, 1000));
});
