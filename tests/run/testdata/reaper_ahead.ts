// Three tests declare a temp dir and a bucket each: the reaper makes them
// ahead, at module load. Each test uses both and prints MADE with their
// names. Run with `--filter taken`, the third is never taken.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { integration, tmpDir } from "../../../mod.ts";
import { s3Bucket } from "../../../s3.ts";

for (const name of ["taken a", "taken b", "skipped c"]) {
  integration(name, {
    fixtures: { dir: tmpDir.fixture(), bucket: s3Bucket.fixture() },
  }, async (_t, { dir, bucket }) => {
    await Deno.writeTextFile(dir.join("x.txt"), "x");
    await bucket.client.send(
      new PutObjectCommand({ Bucket: bucket.name, Key: "x.txt", Body: "x" }),
    );
    console.log(`MADE ${dir.path} ${bucket.name}`);
  });
}
