// A fixture on a shared bucket that does not exist: the reaper cannot write
// the run's lease there, which the run says on stderr (and the fixture
// cannot use the bucket).
import { integration } from "../../../mod.ts";
import { s3Bucket } from "../../../s3.ts";

integration("a shared bucket that does not exist", {
  fixtures: { bucket: s3Bucket.fixture({ bucket: "no-such-shared-bucket" }) },
}, () => {});
