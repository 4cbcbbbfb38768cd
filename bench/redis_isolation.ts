// The per-test cost of a Redis space against a hand-written equivalent:
// `deno run -A bench/redis_isolation.ts [--tests 200] [--rounds 5]`.
//
// Test modules of N tests each, every test running the same body (5 SETs and
// 5 GETs under its key prefix): the toolkit's `redis.fixture()` (isolation
// "prefix", and "database"), and by hand with one client for the module: a
// key prefix per test, removed in `finally` (SCAN + DEL), or FLUSHDB of the
// client's database in `finally`, each in a bare `Deno.test` and under
// `integration()` (whose own cost per test is then the difference). A test's cost is the time
// between the ends of consecutive tests' bodies (setup, body, cleanup and
// `deno test`'s own work), past the first 10 (the connection, the lease).
// The modules run one after another, round-robin, on a redis-server of
// their own; the medians over the rounds and the ratios are printed and
// written to bench/redis_results.json. No assertion on time.
import { redis } from "../redis.ts";
import { median } from "./_measure.ts";

const ROOT = new URL("../", import.meta.url);
const arg = (name: string, fallback: number): number => {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(Deno.args[at + 1]);
};
const TESTS = arg("tests", 200);
const ROUNDS = arg("rounds", 5);
const WARMUP = 10;

const BODY = `
async function body(client, prefix) {
  for (let i = 0; i < 5; i++) await client.set(prefix + "k" + i, "v" + i);
  for (let i = 0; i < 5; i++) await client.get(prefix + "k" + i);
}
// What a hand-written prefix space does at its end: SCAN + DEL of its keys.
async function clean(client, prefix) {
  let cursor = "0";
  do {
    const [next, keys] = await client.sendCommand(["SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"]);
    cursor = next;
    if (keys.length) await client.sendCommand(["DEL", ...keys]);
  } while (cursor !== "0");
}
const ends = [];
function report() {
  Deno.test("report", () => {
    const span = ends.at(-1) - ends[${WARMUP - 1}];
    console.log("PER_TEST " + span / (ends.length - ${WARMUP}));
  });
}
`;

const MODULES: Record<string, string> = {
  "toolkit prefix": `
import { integration } from "${new URL("mod.ts", ROOT)}";
import { redis } from "${new URL("redis.ts", ROOT)}";
${BODY}
for (let i = 0; i < ${TESTS}; i++) {
  integration("t" + i, { fixtures: { space: redis.fixture() } }, async (_t, { space }) => {
    await body(space.client, space.prefix);
    ends.push(performance.now());
  });
}
report();
`,
  "toolkit database": `
import { integration } from "${new URL("mod.ts", ROOT)}";
import { redis } from "${new URL("redis.ts", ROOT)}";
${BODY}
for (let i = 0; i < ${TESTS}; i++) {
  integration("t" + i, { fixtures: { space: redis.fixture({ isolation: "database" }) } }, async (_t, { space }) => {
    await body(space.client, space.prefix);
    ends.push(performance.now());
  });
}
report();
`,
  "hand prefix": `
import { createClient } from "npm:redis@^5.12.4";
${BODY}
const client = await createClient({ url: Deno.env.get("REDIS_URL") }).connect();
for (let i = 0; i < ${TESTS}; i++) {
  Deno.test("t" + i, async () => {
    const prefix = "hand-" + i + ":";
    try {
      await body(client, prefix);
    } finally {
      await clean(client, prefix);
    }
    ends.push(performance.now());
  });
}
report();
Deno.test("close", async () => { await client.close(); });
`,
  "integration hand prefix": `
import { integration } from "${new URL("mod.ts", ROOT)}";
import { createClient } from "npm:redis@^5.12.4";
${BODY}
const client = await createClient({ url: Deno.env.get("REDIS_URL") }).connect();
for (let i = 0; i < ${TESTS}; i++) {
  integration("t" + i, { permissions: { net: ["127.0.0.1"] } }, async () => {
    const prefix = "hand-" + i + ":";
    try {
      await body(client, prefix);
    } finally {
      await clean(client, prefix);
    }
    ends.push(performance.now());
  });
}
report();
`,
  "integration fixture hand prefix": `
import { defineFixture, integration } from "${new URL("mod.ts", ROOT)}";
import { createClient } from "npm:redis@^5.12.4";
${BODY}
const client = await createClient({ url: Deno.env.get("REDIS_URL") }).connect();
let n = 0;
// A fixture that does by hand what a space does: a prefix, removed at the end.
const space = defineFixture({
  name: "handSpace",
  permissions: { net: ["127.0.0.1"] },
  setup: () => {
    const prefix = "hand-" + ++n + ":";
    return {
      prefix,
      async [Symbol.asyncDispose]() {
        await clean(client, prefix);
      },
    };
  },
});
for (let i = 0; i < ${TESTS}; i++) {
  integration("t" + i, { fixtures: { space: space.fixture() } }, async (_t, { space }) => {
    await body(client, space.prefix);
    ends.push(performance.now());
  });
}
report();
`,
  "integration hand flushdb": `
import { integration } from "${new URL("mod.ts", ROOT)}";
import { createClient } from "npm:redis@^5.12.4";
${BODY}
const client = await createClient({ url: Deno.env.get("REDIS_URL") + "/1" }).connect();
for (let i = 0; i < ${TESTS}; i++) {
  integration("t" + i, { permissions: { net: ["127.0.0.1"] } }, async () => {
    try {
      await body(client, "");
    } finally {
      await client.flushDb();
    }
    ends.push(performance.now());
  });
}
report();
`,
  "hand flushdb": `
import { createClient } from "npm:redis@^5.12.4";
${BODY}
const client = await createClient({ url: Deno.env.get("REDIS_URL") + "/1" }).connect();
for (let i = 0; i < ${TESTS}; i++) {
  Deno.test("t" + i, async () => {
    try {
      await body(client, "");
    } finally {
      await client.flushDb();
    }
    ends.push(performance.now());
  });
}
report();
Deno.test("close", async () => { await client.close(); });
`,
};

await using server = await redis.start({ reaper: false });
const dir = await Deno.makeTempDir({ prefix: "itkit-bench-redis-" });
const samples: Record<string, number[]> = {};
try {
  for (const [name, code] of Object.entries(MODULES)) {
    await Deno.writeTextFile(
      `${dir}/${name.replaceAll(" ", "_")}_test.ts`,
      code,
    );
    samples[name] = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(MODULES)) {
      const { success, stdout, stderr } = await new Deno.Command(
        Deno.execPath(),
        {
          args: [
            "test",
            "-A",
            "--no-check",
            "--config",
            new URL("deno.json", ROOT).pathname,
            `${dir}/${name.replaceAll(" ", "_")}_test.ts`,
          ],
          env: {
            REDIS_URL: server.url,
            NO_COLOR: "1",
            ...(Deno.env.get("BENCH_NO_REAPER") ? { ITKIT_REAPER: "0" } : {}),
          },
        },
      ).output();
      const out = new TextDecoder().decode(stdout);
      const perTest = /PER_TEST ([\d.]+)/.exec(out)?.[1];
      if (!success || perTest === undefined) {
        throw new Error(
          `${name} failed:\n${out}\n${new TextDecoder().decode(stderr)}`,
        );
      }
      samples[name]!.push(Number(perTest));
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

const perTest = Object.fromEntries(
  Object.entries(samples).map(([name, xs]) => [name, median(xs)]),
);
const ratios = {
  "toolkit prefix / integration fixture hand prefix":
    perTest["toolkit prefix"]! / perTest["integration fixture hand prefix"]!,
  "toolkit prefix / hand prefix": perTest["toolkit prefix"]! /
    perTest["hand prefix"]!,
  "toolkit database / hand flushdb": perTest["toolkit database"]! /
    perTest["hand flushdb"]!,
  "toolkit database / integration hand flushdb": perTest["toolkit database"]! /
    perTest["integration hand flushdb"]!,
};
// The same ratios round by round (the modules of a round run back to back,
// so a round's ratio shares its load): their median and range.
const PAIRS: Record<keyof typeof ratios, [string, string]> = {
  "toolkit prefix / integration fixture hand prefix": [
    "toolkit prefix",
    "integration fixture hand prefix",
  ],
  "toolkit prefix / hand prefix": ["toolkit prefix", "hand prefix"],
  "toolkit database / hand flushdb": ["toolkit database", "hand flushdb"],
  "toolkit database / integration hand flushdb": [
    "toolkit database",
    "integration hand flushdb",
  ],
};
const roundRatios = Object.fromEntries(
  Object.entries(PAIRS).map(([name, [a, b]]) => {
    const each = samples[a]!.map((x, i) => x / samples[b]![i]!);
    return [name, {
      median: median(each),
      min: Math.min(...each),
      max: Math.max(...each),
    }];
  }),
);
console.log(
  `per-test cost, median of ${ROUNDS} rounds of ${TESTS} tests (ms):`,
);
for (const [name, ms] of Object.entries(perTest)) {
  console.log(`  ${name.padEnd(32)} ${ms.toFixed(3)}`);
}
for (const [name, ratio] of Object.entries(ratios)) {
  const round = roundRatios[name]!;
  console.log(
    `  ${name.padEnd(48)} ${ratio.toFixed(2)}x; round by round ${
      round.median.toFixed(2)
    }x (${round.min.toFixed(2)}-${round.max.toFixed(2)}) (target <= 1.1x)`,
  );
}
await Deno.writeTextFile(
  new URL("redis_results.json", import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      tests: TESTS,
      rounds: ROUNDS,
      perTestMs: perTest,
      samplesMs: samples,
      ratios,
      roundRatios,
    },
    null,
    2,
  ) + "\n",
);
