// Probes with the default budget and declares what the reaper makes ahead (a
// temp dir, a bucket): a bad ITKIT_* setting must fail the module at load,
// naming the variable, before anything is made.
import { integration, tmpDir } from "../../../mod.ts";
import { probeS3, s3Bucket } from "../../../s3.ts";

const s3 = await probeS3();

integration("uses a temp dir and a bucket", {
  requires: [s3],
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture({ prefix: Deno.env.get("BUCKET_PREFIX")! }),
  },
}, () => {});
