import assert from "node:assert/strict";
import { parseShard, shardIndex } from "../../src/run/shard.ts";
import { expectRun, runInlineTest } from "../_shared/harness.ts";

Deno.test("parseShard() reads i/n and rejects anything else, naming ITKIT_SHARD", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  for (const bad of ["0/3", "4/3", "a/b", "3", ""]) {
    assert.throws(
      () => parseShard(bad),
      new TypeError(
        `Cannot shard integration tests: ITKIT_SHARD ${
          JSON.stringify(bad)
        } is not a shard (expected i/n with 1 <= i <= n, e.g. 2/3)`,
      ),
    );
  }
});

Deno.test("shardIndex() is stable and spreads names over the shards", () => {
  const counts = [0, 0, 0];
  for (let i = 0; i < 300; i++) {
    counts[shardIndex(`[integration] t${i}`, 3) - 1]!++;
  }
  assert.ok(counts.every((c) => c > 60), `uneven: ${counts}`);
  assert.equal(
    shardIndex("[integration] x", 7),
    shardIndex("[integration] x", 7),
  );
});

Deno.test("the union of shards 1/n..n/n runs every integration test exactly once", async () => {
  const n = 3;
  const ran: string[] = [];
  for (let i = 1; i <= n; i++) {
    const run = await runInlineTest({
      "sharded.ts": `import { integration } from "@itkit/core";

for (let i = 1; i <= 20; i++) integration(\`case \${i}\`, () => {});
Deno.test("plain test", () => {});
`,
    }, {
      env: { ITKIT_SHARD: `${i}/${n}` },
    });
    expectRun(run, run.code === 0, `shard ${i}/${n} should pass`);
    for (
      const match of run.output.matchAll(
        /^\[integration\] (case \d+) \.\.\. ok/gm,
      )
    ) {
      ran.push(match[1]!);
    }
    assert.match(run.output, /plain test \.\.\. ok/);
  }
  const expected = Array.from({ length: 20 }, (_, i) => `case ${i + 1}`);
  assert.deepEqual([...ran].sort(), [...expected].sort());
});
