import assert from "node:assert/strict";
import { integration, tmpDir } from "../mod.ts";
import { LocalResultsStore } from "./results_store.ts";

integration("results store saves and loads a record on local disk", {
  fixtures: { dir: tmpDir.fixture({ prefix: "results-" }) },
}, async (_t, { dir }) => {
  const store = new LocalResultsStore(dir.path);
  const record = { model: "test-model", throughput: 150.5, latency: 0.05 };

  const path = await store.save("run-1", record);

  assert.equal(path, dir.join("run-1.json"));
  assert.deepEqual(await store.load("run-1"), record);
});
