import assert from "node:assert/strict";
import { appServer, integration, type TmpDir, tmpDir } from "../mod.ts";
import { redis, type RedisSpace } from "../redis.ts";

const up = await redis.probe();

// The app runs as its own process, with the test's temp dir and Redis space
// in its environment; it is stopped (and all it started) when the test ends.
integration("the app saves a result and serves it through its cache", {
  requires: [up],
  fixtures: {
    dir: tmpDir.fixture(),
    cache: redis.fixture(),
    app: appServer.fixture<{ dir: TmpDir; cache: RedisSpace }>({
      command: [
        "deno",
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-read=/tmp",
        "--allow-write=/tmp",
        "examples/hono_app.ts",
      ],
      env: ({ dir, cache }) => ({ DATA_DIR: dir.path, ...cache.env() }),
      ready: { http: "/health" },
    }),
  },
}, async (_t, { app, cache }) => {
  const saved = await fetch(new URL("/results/run-1", app.url), {
    method: "PUT",
    body: JSON.stringify({ model: "test", score: 100 }),
  });
  assert.equal(saved.status, 204);

  const read = await fetch(new URL("/results/run-1", app.url));
  assert.deepEqual(await read.json(), { model: "test", score: 100 });

  // The app cached it in the test's own space.
  assert.ok(await cache.client.exists(cache.key("result:run-1")));
});
