// Internal: fills a bucket with 1,000 small objects, for the sections that
// measure what a full bucket costs to dispose of.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3ClientLike } from "../../s3.ts";

/**
 * Puts 1,000 one-byte objects (`o/0` … `o/999`), 100 at a time.
 *
 * @param bucket A bucket and a client for it.
 */
export async function fill(
  bucket: { client: S3ClientLike; name: string },
): Promise<void> {
  for (let k = 0; k < 1000; k += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        bucket.client.send(
          new PutObjectCommand({
            Bucket: bucket.name,
            Key: `o/${k + j}`,
            Body: "x",
          }),
        )),
    );
  }
}
