import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { integration } from "../../../mod.ts";
import { s3Bucket } from "../../../s3.ts";

const otherPort = Number(Deno.env.get("ITKIT_OTHER_PORT"));

integration("uses its bucket", {
  fixtures: { bucket: s3Bucket.fixture() },
}, async (_t, { bucket }) => {
  await bucket.client.send(
    new PutObjectCommand({ Bucket: bucket.name, Key: "k", Body: "v" }),
  );
  const { KeyCount } = await bucket.client.send(
    new ListObjectsV2Command({ Bucket: bucket.name }),
  );
  if (KeyCount !== 1) throw new Error(`expected 1 object, got ${KeyCount}`);
});

integration("reaches another local port", {
  fixtures: { bucket: s3Bucket.fixture() },
}, async () => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: otherPort });
  conn.close();
});

integration("reads the AWS shared config file", {
  fixtures: { bucket: s3Bucket.fixture() },
}, async () => {
  await Deno.readTextFile("/root/.aws/config");
});
