// Section `rgw` of `deno task bench`: Ceph RGW, a real S3 engine (skipped
// without its binaries).
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { s3Bucket, s3Client } from "../../s3.ts";
import { type RgwServer, startRgw } from "../../services.ts";
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { fill } from "./_fill.ts";
import type { SectionOptions } from "./_section.ts";

/**
 * 5b. RGW's start time (what decides that s3rver stays the default), and the
 * bucket fixture against the fewest raw SDK calls doing the same work,
 * alternating.
 *
 * @param options The run's length.
 * @returns Its rows (`rgw: skipped` first when a start of RGW failed).
 */
export async function rgw(options: SectionOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const starts: number[] = [];
  let server: RgwServer | undefined;
  try {
    for (let i = 0; i < (options.quick ? 1 : 3); i++) {
      await server?.close();
      const t = performance.now();
      server = await startRgw();
      starts.push(performance.now() - t);
    }
  } catch (error) {
    rows.push({
      name: "rgw: skipped",
      value: 0,
      unit: "",
      note: (error as Error).message.split("\n")[0]!,
    });
  }
  // A later start that failed leaves the earlier one's server, measured on.
  if (!server) return rows;
  rows.push({
    name: "rgw: start to first signed request",
    value: median(starts),
    unit: "ms",
    target: "<= 1000 ms to be the default",
    met: median(starts) <= 1000,
  });
  const config = server.config;
  const raw = await s3Client(config) as S3Client;
  // The hand-written practice: create; to dispose, delete the bucket (when
  // it is known to be empty), else list once, delete the listed keys in
  // one request, delete the bucket.
  let n = 0;
  const rawDispose = async (Bucket: string, objects: number) => {
    if (objects) {
      const { Contents = [] } = await raw.send(
        new ListObjectsCommand({ Bucket }),
      );
      await raw.send(
        new DeleteObjectsCommand({
          Bucket,
          Delete: { Objects: Contents.map((o) => ({ Key: o.Key! })) },
        }),
      );
    }
    await raw.send(new DeleteBucketCommand({ Bucket }));
  };
  for (const objects of [0, 1000]) {
    const fixture: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < (options.quick ? 2 : objects ? 5 : 15); i++) {
      {
        const t0 = performance.now();
        const bucket = await s3Bucket({ config });
        const created = performance.now() - t0;
        if (objects) await fill(bucket);
        const t1 = performance.now();
        await bucket.close();
        fixture.push(created + performance.now() - t1);
      }
      {
        const Bucket = `bench-raw-${Date.now()}-${n++}`;
        const t0 = performance.now();
        await raw.send(new CreateBucketCommand({ Bucket }));
        const created = performance.now() - t0;
        if (objects) await fill({ client: raw, name: Bucket });
        const t1 = performance.now();
        await rawDispose(Bucket, objects);
        bare.push(created + performance.now() - t1);
      }
    }
    const ratio = median(fixture) / median(bare);
    rows.push({
      name: `rgw: bucket create + dispose, ${
        objects ? "1,000 objects" : "empty"
      }, vs raw SDK calls`,
      value: median(fixture),
      unit: "ms",
      baseline: median(bare),
      ratio,
      target: "<= 1.1x",
      met: ratio <= 1.1,
    });
  }
  raw.destroy();
  await server.close();
  return rows;
}
