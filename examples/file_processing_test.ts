import assert from "node:assert/strict";
import { integration, tmpDir } from "../mod.ts";
import { processFile } from "./file_processing.ts";

integration("file processing turns input.txt into output.txt", {
  fixtures: { dir: tmpDir.fixture() },
}, async (t, { dir }) => {
  await t.step("write the input", async () => {
    await Deno.writeTextFile(dir.join("input.txt"), "test data");
  });
  await t.step("process it", async () => {
    await processFile(dir.join("input.txt"), dir.join("output.txt"));
  });
  await t.step("read the output", async () => {
    assert.equal(
      await Deno.readTextFile(dir.join("output.txt")),
      "processed: test data",
    );
  });
});
