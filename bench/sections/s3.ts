// Section `s3` of `deno task bench`: the bucket fixture on the S3 server of
// `cli.ts run`.
import { s3Bucket, s3Config } from "../../s3.ts";
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { fill } from "./_fill.ts";
import type { SectionOptions } from "./_section.ts";

/**
 * 5. Bucket create + dispose, empty, and the dispose of a bucket holding
 * 1,000 objects.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function s3(options: SectionOptions): Promise<Row[]> {
  const config = s3Config();
  const empty: number[] = [];
  for (let i = 0; i < (options.quick ? 5 : 20); i++) {
    const t = performance.now();
    await (await s3Bucket({ config })).close();
    empty.push(performance.now() - t);
  }
  const full: number[] = [];
  for (let i = 0; i < (options.quick ? 1 : 3); i++) {
    const bucket = await s3Bucket({ config });
    await fill(bucket);
    const t = performance.now();
    await bucket.close();
    full.push(performance.now() - t);
  }
  return [
    {
      name: "s3: bucket create + dispose, empty",
      value: median(empty),
      unit: "ms",
      target: "<= 5 ms",
      met: median(empty) <= 5,
    },
    {
      name: "s3: dispose of a bucket with 1,000 objects",
      value: median(full),
      unit: "ms",
      target: "<= 150 ms",
      met: median(full) <= 150,
    },
  ];
}
