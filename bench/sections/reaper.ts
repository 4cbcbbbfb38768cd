// Section `reaper` of `deno task bench`: what declared fixtures cost on the
// test's path (the reaper creates them ahead, from their declarations at
// module load, and removes them when handed off), and the reaper's own work
// beside the raw calls it makes, each measured with nothing else running.
// Fixtures are declared and started as a module's tests would, in this
// process.
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { tmpDir } from "../../mod.ts";
import { s3Bucket, s3Client, s3Config } from "../../s3.ts";
import { emptyBucket } from "../../src/s3/empty_bucket.ts";
import { reaperLogPath } from "../../src/run/reaper.ts";
import { mean, median, p95 } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { fill } from "./_fill.ts";
import type { SectionOptions } from "./_section.ts";

/** What a fixture's `start` is given. */
const CONTEXT = {
  name: "bench",
  signal: new AbortController().signal,
  deps: {},
};

/**
 * @param word `created` or `removed`.
 * @returns The lines of this process's reaper's log with `word`.
 */
async function logged(word: string): Promise<string[]> {
  const text = await Deno.readTextFile(reaperLogPath()).catch(() => "");
  const pid = new RegExp(` reaper (\\d+) started \\(parent ${Deno.pid}\\)`)
    .exec(text)?.[1];
  return pid === undefined
    ? []
    : text.split("\n").filter((l) => l.includes(` reaper ${pid} ${word} `));
}

/**
 * Waits until the reaper logged `count` lines with `word` (at most a minute).
 *
 * @param word `created` or `removed`.
 * @param count Lines.
 */
async function settled(word: string, count: number): Promise<void> {
  for (let i = 0; i < 1200 && (await logged(word)).length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Times of the reaper's items, and its cost per item as throughput. */
type ItemTimes = number[] & { perItem: number };

/**
 * The reaper's own time per item, from its log. Per item as throughput: the
 * reaper runs up to four at once, so one item's latency is not its cost; the
 * span from the first start to the last end, over the count, is.
 *
 * @param word `created` or `removed`.
 * @param kind `bucket` or `dir`.
 * @param from Items logged before, left out.
 * @returns Each item's time (ms) and the cost per item.
 */
async function timesOf(
  word: string,
  kind: string,
  from: number,
): Promise<ItemTimes> {
  const items = (await logged(word))
    .filter((l) => l.includes(` ${word} ${kind} `))
    .slice(from).map((l) => ({
      end: Date.parse(l.slice(0, 24)),
      took: Number(/, ([\d.]+) ms\)$/.exec(l)?.[1]),
    }));
  return Object.assign(items.map((i) => i.took), {
    perItem: items.length === 0 ? NaN : (Math.max(
      ...items.map((i) => i.end),
    ) - Math.min(...items.map((i) => i.end - i.took))) / items.length,
  });
}

/**
 * 8. Declared buckets (empty and holding 1,000 objects) and temp dirs on the
 * test's path; then the reaper's own creations and removals against the raw
 * calls.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function reaper(options: SectionOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const config = s3Config();
  let created = 0;
  let removed = 0;
  const n = options.quick ? 10 : 50;

  // Empty buckets: a module of n tests, each declaring its bucket.
  const buckets = Array.from({ length: n }, () => s3Bucket.fixture({ config }));
  created += n;
  await settled("created", created); // module load ends; the tests start
  const empty: number[] = [];
  for (const declaration of buckets) {
    const t = performance.now();
    await (await declaration.start(CONTEXT)).close();
    empty.push(performance.now() - t);
  }
  removed += n;
  await settled("removed", removed);
  rows.push({
    name: "reaper: declared bucket create + dispose, empty (test's path)",
    value: median(empty),
    unit: "ms",
    target: "<= 2 ms",
    met: median(empty) <= 2,
    note: `p95 ${p95(empty).toFixed(1)} ms, ${n} tests`,
  });

  // Buckets holding 1,000 objects: the dispose hands the removal off.
  const fullCreate: number[] = [];
  const fullDispose: number[] = [];
  const full = Array.from(
    { length: options.quick ? 1 : 3 },
    () => s3Bucket.fixture({ config }),
  );
  created += full.length;
  await settled("created", created);
  for (const declaration of full) {
    let t = performance.now();
    const bucket = await declaration.start(CONTEXT);
    fullCreate.push(performance.now() - t);
    await fill(bucket);
    t = performance.now();
    await bucket.close();
    fullDispose.push(performance.now() - t);
    removed++;
    await settled("removed", removed);
  }
  rows.push({
    name: "reaper: declared bucket dispose with 1,000 objects (test's path)",
    value: median(fullDispose),
    unit: "ms",
    target: "<= 2 ms",
    met: median(fullDispose) <= 2,
    note: `create ${median(fullCreate).toFixed(1)} ms`,
  });

  // Temp dirs: a module of 200 tests declaring one each, against
  // makeTempDir + remove in try/finally; rounds alternate, and each side
  // starts when the reaper is idle.
  const fixture: number[] = [];
  const hand: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const dirs = Array.from({ length: 200 }, () => tmpDir.fixture());
    created += 200;
    await settled("created", created);
    let t = performance.now();
    for (const declaration of dirs) {
      const dir = await declaration.start(CONTEXT);
      await Deno.writeTextFile(dir.join("a.txt"), "x");
      await dir.close();
    }
    fixture.push((performance.now() - t) / 200);
    removed += 200;
    await settled("removed", removed);
    t = performance.now();
    for (let i = 0; i < 200; i++) {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(dir + "/a.txt", "x");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    hand.push((performance.now() - t) / 200);
  }
  const dirRatio = median(fixture.map((f, i) => f / hand[i]!));
  rows.push({
    name: "reaper: declared tmpDir start + dispose vs makeTempDir + remove",
    value: median(fixture),
    unit: "ms/test",
    baseline: median(hand),
    ratio: dirRatio,
    target: "<= 1.2x",
    met: dirRatio <= 1.2,
    note: "in-process, made ahead and removed by the reaper",
  });

  // The reaper's own work (from its log: the time of each creation and
  // removal inside it) against the raw calls it makes, done by hand here;
  // both with nothing else running: the fixtures are all started, then all
  // disposed, and the bench waits while the reaper works (the raw calls run
  // one after another).
  const before = {
    made: (await timesOf("created", "bucket", 0)).length,
    bucket: (await timesOf("removed", "bucket", 0)).length,
    dir: (await timesOf("removed", "dir", 0)).length,
  };
  const ownBuckets = Array.from(
    { length: n },
    () => s3Bucket.fixture({ config }),
  );
  const ownDirs = Array.from({ length: 200 }, () => tmpDir.fixture());
  created += n + 200;
  await settled("created", created);
  const handles: { close(): Promise<void> }[] = [];
  for (const d of [...ownBuckets, ...ownDirs]) {
    handles.push(await d.start(CONTEXT));
  }
  for (const h of handles) await h.close();
  removed += n + 200;
  await settled("removed", removed);
  const reaperMake = await timesOf("created", "bucket", before.made);
  const reaperDrop = await timesOf("removed", "bucket", before.bucket);
  const reaperDirs = await timesOf("removed", "dir", before.dir);
  const client = await s3Client(config);
  const rawMake: number[] = [];
  const rawDrop: number[] = [];
  for (let i = 0; i < n; i++) {
    const Bucket = `bench-raw-${crypto.randomUUID().slice(0, 8)}`;
    let t = performance.now();
    await client.send(new CreateBucketCommand({ Bucket }));
    rawMake.push(performance.now() - t);
    t = performance.now();
    await emptyBucket(client, Bucket, "", config.endpoint.href);
    await client.send(new DeleteBucketCommand({ Bucket }));
    rawDrop.push(performance.now() - t);
  }
  client.destroy();
  const rawDirs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(dir + "/a.txt", "x");
    const t = performance.now();
    await Deno.remove(dir, { recursive: true });
    rawDirs.push(performance.now() - t);
  }
  const own = [
    ["creation of an empty bucket", reaperMake, rawMake, "CreateBucket"],
    ["removal of an empty bucket", reaperDrop, rawDrop, "list + DeleteBucket"],
    ["removal of a temp dir", reaperDirs, rawDirs, "Deno.remove"],
  ] as const;
  for (const [what, theirs, raw, calls] of own) {
    const ratio = theirs.perItem / mean(raw);
    rows.push({
      name: `reaper: its own ${what} vs the raw calls (${calls}), per item`,
      value: theirs.perItem,
      unit: "ms",
      baseline: mean(raw),
      ratio,
      target: "<= 1.1x",
      met: ratio <= 1.1,
      note: `${theirs.length} logged, latency median ${
        median([...theirs]).toFixed(2)
      } ms`,
    });
  }
  return rows;
}
