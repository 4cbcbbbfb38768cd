import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "./_harness.ts";
import { bucketNames, itkitObjects } from "./_services.ts";

Deno.test("eight test files under --parallel sharing the servers never see each other's data", async () => {
  const files = "abcdefgh".split("").map((x) => `parallel_${x}.ts`);
  const bucketsBefore = await bucketNames();
  const objectsBefore = await itkitObjects();
  const run = await runDenoTest(files, { args: ["--parallel"] });
  expectRun(run, run.code === 0, "every file should pass");
  assert.equal(run.passed, 32);
  for (const x of "abcdefgh") {
    assert.equal(
      [...run.output.matchAll(
        new RegExp(
          `SEEN file-${x}: objects=file-${x}\\.txt rows=file-${x} tx=file-${x}$`,
          "gm",
        ),
      )].length,
      4,
    );
  }
  assert.deepEqual(await bucketNames(), bucketsBefore);
  assert.deepEqual(await itkitObjects(), objectsBefore);
});
