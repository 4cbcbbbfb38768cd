// Redis, built on the public service API: the probe (ignored with the reason,
// secrets masked), a space per test of either kind that never sees another's
// keys (also under --parallel), nothing left after a pass or a SIGKILL, the
// lease, the sweep, and never a key or database the toolkit did not create.
import assert from "node:assert/strict";
import { closedPort, expectRun, runDenoTest } from "../_shared/harness.ts";
import { startInGroup } from "../_shared/group.ts";
import { sweep } from "../../services.ts";
import { closeRedisClient, redis, redisClient } from "../../redis.ts";

/** What a user had in Redis before the tests, some named like the toolkit's. */
const FOREIGN: Record<number, string[]> = {
  0: ["user:keep", "itkit-notarunid00-1:x", "itkit-data", "itkit:other"],
  3: ["user:db3"],
};

async function withClient<T>(
  url: string,
  db: number,
  fn: (client: Awaited<ReturnType<typeof redisClient>>) => Promise<T>,
): Promise<T> {
  const client = await redisClient(new URL(`${url}/${db}`));
  try {
    return await fn(client);
  } finally {
    await closeRedisClient(client);
  }
}

async function addForeign(url: string): Promise<void> {
  for (const [db, keys] of Object.entries(FOREIGN)) {
    await withClient(url, Number(db), async (client) => {
      for (const key of keys) await client.set(key, "theirs");
    });
  }
}

/** Every key of every database that has one, as `<db>/<key>`. */
async function everything(url: string): Promise<string[]> {
  const all: string[] = [];
  for (let db = 0; db < 64; db++) {
    await withClient(url, db, async (client) => {
      for (const key of await client.keys("*")) all.push(`${db}/${key}`);
    });
  }
  return all.sort();
}

const foreignOnly = Object.entries(FOREIGN)
  .flatMap(([db, keys]) => keys.map((key) => `${db}/${key}`)).sort();

Deno.test("redis: unset, down or refusing, its tests are ignored with the reason, and a password is never shown", async () => {
  const unset = await runDenoTest(["redis_hang.ts"], { unset: ["REDIS_URL"] });
  expectRun(unset, unset.ignored === 1, "ignored");
  assert.match(
    unset.output,
    /\(ignored: redis REDIS_URL: not set\) \.\.\. ignored/,
  );
  const port = closedPort();
  const down = await runDenoTest(["redis_hang.ts"], {
    env: { REDIS_URL: `redis://127.0.0.1:${port}` },
  });
  assert.match(
    down.output,
    new RegExp(
      `\\(ignored: redis redis://127\\.0\\.0\\.1:${port}: connection refused 127\\.0\\.0\\.1:${port}\\) \\.\\.\\. ignored`,
    ),
  );
  await using server = await redis.start({ reaper: false });
  const wrong = await runDenoTest(["redis_hang.ts"], {
    env: {
      REDIS_URL: server.url.replace("//", "//app:sup3rsecret@"),
    },
  });
  assert.match(
    wrong.output,
    /\(ignored: redis redis:\/\/app:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS invalid username-password pair or user is disabled\.\)/,
  );
  assert.doesNotMatch(wrong.output, /sup3rsecret/);
  const required = await runDenoTest(["redis_hang.ts"], {
    env: { REDIS_URL: `redis://127.0.0.1:${port}`, ITKIT_REQUIRE: "1" },
  });
  expectRun(required, required.code !== 0 && required.failed === 1, "fails");
});

Deno.test("redis: each test's space, prefix or database (one per file, flushed between its tests), sees only its own keys, also under --parallel; nothing else is touched and nothing is left", async () => {
  await using server = await redis.start({ reaper: false });
  await addForeign(server.url);
  const run = await runDenoTest(["redis_spaces.ts", "redis_spaces_b.ts"], {
    args: ["--parallel", "--sanitize-ops", "--sanitize-resources"],
    env: { REDIS_URL: server.url, DENO_JOBS: "2" },
  });
  expectRun(run, run.code === 0 && run.passed === 12, "all pass");
  const spaces = [...run.output.matchAll(/^SPACE (\S+) (\S+) (\d+)$/gm)];
  const names = (isolation: string) =>
    new Set(spaces.filter((m) => m[1] === isolation).map((m) => m[2]));
  // A prefix space per test; a database space per file, kept from test to
  // test (each test found it holding its own keys only: flushed between).
  assert.equal(names("prefix").size, 6, run.output);
  assert.equal(names("database").size, 2, run.output);
  // Each file's database space kept its database from test to test (the two
  // files may have had the same one, one after the other).
  for (const name of names("database")) {
    const dbs = spaces.filter((m) => m[2] === name).map((m) => m[3]);
    assert.equal(dbs.length, 3, run.output);
    assert.equal(new Set(dbs).size, 1, run.output);
  }
  // Database spaces got databases no one used: never 0 or the user's 3.
  for (const [, isolation, , db] of spaces) {
    if (isolation === "database") {
      assert.ok(!["0", "3"].includes(db!), `database ${db}`);
    }
  }
  assert.deepEqual(run.reaperFailed, []);
  assert.deepEqual(await everything(server.url), foreignOnly);
});

Deno.test("redis: SIGKILL mid-test: the reaper removes both spaces, and the run's lease goes with it", async () => {
  await using server = await redis.start({ reaper: false });
  await addForeign(server.url);
  await using run = await startInGroup(["redis_hang.ts"], {
    env: { REDIS_URL: server.url },
  });
  const [prefixSpace, dbSpace, db] = await run.ready();
  const held = await everything(server.url);
  assert.ok(held.includes(`0/${prefixSpace}:k`), held.join(" "));
  assert.ok(held.includes(`${db}/k`), held.join(" "));
  // The run's lease: a key that expires by itself, held while it runs.
  const lease = held.find((key) => /^0\/itkit-[0-9a-z]+-0$/.test(key));
  assert.ok(lease, held.join(" "));
  const ttl = await withClient(server.url, 0, (c) => c.pTTL(lease.slice(2)));
  assert.ok(ttl > 0, `lease ttl ${ttl}`);
  run.kill("SIGKILL");
  const { failed } = await run.finish();
  assert.deepEqual(failed, []);
  assert.deepEqual(await everything(server.url), foreignOnly);
  const log = await Deno.readTextFile(run.log);
  // Removed inline by the tests that end, the run's spaces are the
  // reaper's as one resource: what a killed run left, found by name.
  assert.match(
    log,
    /removed redis spaces of run \S+ at \S+ \(parent ended/,
    log,
  );
  assert.ok(prefixSpace && dbSpace);
});

Deno.test("redis: the sweep removes a crashed run's spaces (keys and database) and nothing else", async () => {
  await using server = await redis.start({ reaper: false });
  await addForeign(server.url);
  await using run = await startInGroup(["redis_hang.ts"], {
    env: { REDIS_URL: server.url, ITKIT_REAPER: "0" },
  });
  const [prefixSpace, dbSpace] = await run.ready();
  run.kill("SIGKILL");
  await run.finish();
  assert.notDeepEqual(await everything(server.url), foreignOnly);
  const report = await sweep({
    olderThan: 0,
    s3: false,
    postgres: false,
    tmpDir: false,
    services: [{ service: redis, url: server.url }],
  });
  assert.deepEqual(
    report.removed.toSorted(),
    [`redis ${prefixSpace}`, `redis ${dbSpace}`].toSorted(),
  );
  assert.deepEqual(report.failed, []);
  assert.deepEqual(await everything(server.url), foreignOnly);
});

Deno.test("src/redis is built on the public API only: it imports the entry points, node-redis and its own files", async () => {
  const dir = new URL("../../src/redis/", import.meta.url);
  const allowed =
    /^(?:\.\.\/\.\.\/(?:mod|service)\.ts|npm:redis@[^"]+|\.\/[a-z_]+\.ts)$/;
  for await (const entry of Deno.readDir(dir)) {
    // Code only: the JSDoc examples import the entry points, as users do.
    const text = (await Deno.readTextFile(new URL(entry.name, dir)))
      .split("\n").filter((line) => !/^\s*(?:\*|\/\/|\/\*)/.test(line))
      .join("\n");
    const specifiers = [
      ...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g),
    ].map((m) => m[1]!);
    const internal = specifiers.filter((s) => !allowed.test(s));
    assert.deepEqual(internal, [], `src/redis/${entry.name}`);
  }
});
