// A run whose temp dir is full (TMPDIR on a full file system): the bucket a
// declaration has made ahead must not be forgotten, and whatever fails is
// said. Prints the bucket; the parent checks it is gone.
import { integration } from "../../../mod.ts";
import { s3Bucket } from "../../../s3.ts";

integration("uses a bucket while the temp dir is full", {
  fixtures: { bucket: s3Bucket.fixture() },
}, (_t, { bucket }) => {
  console.log(`BUCKET ${bucket.name}`);
});
