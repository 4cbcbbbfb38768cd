import assert from "node:assert/strict";
import { integration, tmpDir } from "../mod.ts";
import { redis } from "../redis.ts";
import { LocalResultsStore } from "./results_store.ts";
import { CachedResultsStore } from "./results_cache.ts";

// Ignored, with the reason, when Redis (REDIS_URL) is not set or not
// reachable; `cli.ts run` starts redis-server when it is installed.
const up = await redis.probe();

integration(
  "the results cache serves a record from Redis after one store read",
  {
    requires: [up],
    fixtures: { dir: tmpDir.fixture(), cache: redis.fixture() },
  },
  async (_t, { dir, cache }) => {
    const store = new CachedResultsStore(
      new LocalResultsStore(dir.path),
      cache.client,
      cache.prefix,
    );
    await store.save("run-1", { model: "test", score: 100 });

    assert.deepEqual(await store.load("run-1"), { model: "test", score: 100 });
    assert.deepEqual(await store.load("run-1"), { model: "test", score: 100 });

    assert.equal(store.misses, 1);
    assert.ok(await cache.client.exists(cache.key("result:run-1")));
  },
);

integration("saving a record drops its cached copy", {
  requires: [up],
  fixtures: { dir: tmpDir.fixture(), cache: redis.fixture() },
}, async (_t, { dir, cache }) => {
  const store = new CachedResultsStore(
    new LocalResultsStore(dir.path),
    cache.client,
    cache.prefix,
  );
  await store.save("run-1", { model: "test", score: 1 });
  await store.load("run-1");

  await store.save("run-1", { model: "test", score: 2 });

  assert.deepEqual(await store.load("run-1"), { model: "test", score: 2 });
  assert.equal(store.misses, 2);
});
