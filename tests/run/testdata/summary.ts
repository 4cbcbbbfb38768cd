import { integration, probeTcp, tmpDir } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

const down = await probeTcp(
  "127.0.0.1",
  Number(Deno.env.get("ITKIT_TEST_PORT")),
);

integration("uses every service", {
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture(),
    db: postgresDatabase.fixture({ isolation: "transaction" }),
  },
}, () => {});

integration("needs a service that is down", { requires: [down] }, () => {});
