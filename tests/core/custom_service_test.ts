// A service a user defines (tests/core/testdata/_kv_service.ts: a tiny Deno HTTP
// key-value server, built on the public service.ts): probed with reasons,
// required, a space per test removed off the test's path and by the reaper
// after SIGKILL, its own server stopped by the reaper, the sweep, and
// `cli.ts run --service` (a server per run, the leftover check, the summary).
import assert from "node:assert/strict";
import {
  closedPort,
  expectRun,
  runDenoTest,
  runInlineTest,
} from "../_shared/harness.ts";
import { startInGroup } from "../_shared/group.ts";
import { processRunning } from "../../src/run/_local_runs.ts";
import { sweep } from "../../services.ts";
import { kv } from "./testdata/_kv_service.ts";
import { defineService } from "../../service.ts";

const ROOT = new URL("../../", import.meta.url);

async function keys(url: string): Promise<string[]> {
  return await (await fetch(new URL("/keys", url))).json();
}

async function put(url: string, key: string, value: string): Promise<void> {
  await (await fetch(new URL(`/k/${key}`, url), { method: "PUT", body: value }))
    .body?.cancel();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("custom service: unset or down, its tests are ignored with the reason; in require mode they fail", async () => {
  const unset = await runDenoTest(["custom_service.ts"], { unset: ["KV_URL"] });
  expectRun(unset, unset.code === 0 && unset.ignored === 2, "ignored");
  assert.match(
    unset.output,
    /kv space a \(ignored: kv KV_URL: not set\) \.\.\. ignored/,
  );
  const port = closedPort();
  const down = await runDenoTest(["custom_service.ts"], {
    env: { KV_URL: `http://127.0.0.1:${port}` },
  });
  expectRun(down, down.code === 0 && down.ignored === 2, "ignored");
  assert.match(
    down.output,
    new RegExp(
      `kv space a \\(ignored: kv http://127\\.0\\.0\\.1:${port}/: .*connection refused.*\\) \\.\\.\\. ignored`,
    ),
  );
  const required = await runDenoTest(["custom_service.ts"], {
    env: { KV_URL: `http://127.0.0.1:${port}`, ITKIT_REQUIRE: "1" },
  });
  expectRun(required, required.code !== 0 && required.failed === 2, "failed");
});

Deno.test("custom service: each test has a space of its own, removed off the test's path, and nothing is left", async () => {
  await using server = await kv.start({ reaper: false });
  const run = await runDenoTest(["custom_service.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
    env: { KV_URL: server.url },
  });
  expectRun(run, run.code === 0 && run.passed === 2, "both pass");
  const spaces = [...run.output.matchAll(/^SPACE (\S+)$/gm)].map((m) => m[1]);
  assert.equal(new Set(spaces).size, 2, run.output);
  assert.deepEqual(run.reaperFailed, []);
  assert.deepEqual(await keys(server.url), []);
});

Deno.test("custom service: SIGKILL of the test process mid-test: the reaper removes its space", async () => {
  await using server = await kv.start({ reaper: false });
  await using run = await startInGroup(["custom_service.ts"], {
    env: { KV_URL: server.url, KV_HANG: "1" },
  });
  await run.ready();
  const [space] = (await keys(server.url)).map((k) => k.split("/")[0]);
  assert.ok(space, "the hanging test wrote its key");
  run.kill("SIGKILL");
  const { failed } = await run.finish();
  assert.deepEqual(failed, []);
  assert.deepEqual(await keys(server.url), []);
  const log = await Deno.readTextFile(run.log);
  assert.match(log, new RegExp(`removed kv ${space} at \\S+ \\(parent ended`));
});

Deno.test("custom service: a server a test module starts is stopped by the reaper after SIGKILL, and its directory removed", async () => {
  await using run = await startInGroup(["custom_service_server.ts"], {
    env: { KV_HANG: "1" },
  });
  const [pid, dir] = await run.ready();
  assert.ok(processRunning(Number(pid)) && await exists(dir!));
  run.kill("SIGKILL");
  const { failed } = await run.finish();
  assert.deepEqual(failed, []);
  assert.equal(processRunning(Number(pid)), false, `server ${pid} still runs`);
  assert.equal(await exists(dir!), false, `${dir} left`);
});

Deno.test("custom service: the sweep removes a crashed run's spaces, never a live run's, and nothing it did not create", async () => {
  await using server = await kv.start({ reaper: false });
  const foreign = ["user/keep", "itkit-notarunid00-1/x", "itkit-data/x"];
  for (const key of foreign) await put(server.url, key, "theirs");
  // A crashed run: no reaper, SIGKILL mid-test.
  await using crashed = await startInGroup(["custom_service.ts"], {
    env: { KV_URL: server.url, KV_HANG: "1", ITKIT_REAPER: "0" },
  });
  await crashed.ready();
  crashed.kill("SIGKILL");
  await crashed.finish();
  const left = (await keys(server.url)).filter((k) => !foreign.includes(k));
  assert.equal(left.length, 1, `the crashed run's key: ${left}`);
  const dead = left[0]!.split("/")[0]!;
  // A live run, mid-test.
  await using live = await startInGroup(["custom_service.ts"], {
    env: { KV_URL: server.url, KV_HANG: "1" },
  });
  await live.ready();
  const alive = (await keys(server.url))
    .map((k) => k.split("/")[0]!)
    .find((name) =>
      name.startsWith("itkit-") && name !== dead &&
      !foreign.some((f) => f.startsWith(`${name}/`))
    )!;
  const report = await sweep({
    olderThan: 0,
    s3: false,
    postgres: false,
    tmpDir: false,
    services: [{ service: kv, url: server.url }],
  });
  assert.deepEqual(report.removed, [`kv ${dead}`]);
  assert.deepEqual(report.failed, []);
  assert.ok(
    report.inUse.some((line) => line.startsWith(`kv ${alive}: run `)),
    JSON.stringify(report),
  );
  assert.deepEqual(report.stores.at(-1), {
    store: "kv",
    target: new URL(server.url).href,
    status: "swept",
  });
  const after = await keys(server.url);
  for (const key of foreign) assert.ok(after.includes(key), key);
  assert.ok(after.some((key) => key.startsWith(`${alive}/`)), "live kept");
  assert.ok(!after.some((key) => key.startsWith(`${dead}/`)), "dead removed");
});

Deno.test("custom service: cli.ts run --service starts it for the run, exports its variable, and the leftover check and summary cover it", async () => {
  const env = Deno.env.toObject();
  delete env.KV_URL;
  const run = async (extra: Record<string, string>) => {
    const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "cli.ts",
        "run",
        "--service",
        "tests/core/testdata/_kv_service.ts",
        "--",
        Deno.execPath(),
        "test",
        "-A",
        "--no-check",
        "tests/core/testdata/custom_service.ts",
      ],
      cwd: ROOT,
      clearEnv: true,
      env: { ...env, NO_COLOR: "1", ITKIT_SUMMARY: "1", ...extra },
    }).output();
    const decoder = new TextDecoder();
    return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
  };
  const clean = await run({});
  assert.equal(clean.code, 0, clean.output);
  assert.match(
    clean.output,
    /itkit: kv: launched at http:\/\/127\.0\.0\.1:\d+/,
  );
  assert.match(
    clean.output,
    /kv: throwaway server \(started from the service's definition\) at http:\/\/127\.0\.0\.1:\d+/,
  );
  assert.match(clean.output, /2 passed/);
  assert.match(clean.output, /leftover check passed/);
  // A space nobody removes (no reaper, never disposed) fails the run.
  const leaky = await run({ KV_LEAK: "1", ITKIT_REAPER: "0" });
  const space = /^SPACE (\S+)$/m.exec(
    leaky.output.split("kv space never disposed")[1] ?? "",
  )?.[1];
  assert.equal(leaky.code, 1, leaky.output);
  assert.match(
    leaky.output,
    new RegExp(
      `leftover check FAILED: the run left 1 resource\\(s\\) behind:\\n  kv ${space} at http://127\\.0\\.0\\.1:\\d+/`,
    ),
  );
});

Deno.test("cli.ts run --service: a module that exports no service is a usage error", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "run",
      "--service",
      "tests/_shared/sockets.ts",
      "--",
      "true",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 2, err);
  assert.match(
    err,
    /^itkit: --service "tests\/_shared\/sockets\.ts": it exports no service \(expected an export made with defineService\(\)\)/,
  );
});

/**
 * A kv service whose spaces a module keeps from test to test
 * (`isolation.reset`: the space's keys deleted), in a file of the inline
 * project (the reaper imports it by its URL). `KV_RESET`: `keep` (the
 * default), `no` (reset says not worth keeping), `throw` (reset fails once,
 * for the second test).
 */
const KEPT_SERVICE = `
import { defineService } from "${new URL("service.ts", ROOT).href}";

async function ok(response) {
  const answered = await response;
  if (!answered.ok) throw new Error("kv answered " + answered.status);
  return answered;
}
async function removePrefix(url, name) {
  const response = await ok(fetch(new URL("/prefix/" + name, url), { method: "DELETE" }));
  return (await response.json()).removed > 0;
}
let resets = 0;
const mode = Deno.env.get("KV_RESET") ?? "keep";
export const kvk = defineService({
  name: "kvk",
  module: import.meta.url,
  env: "KV_URL",
  protocols: ["http:"],
  isolation: {
    create: ({ url, name }) => ({
      put: async (key, value) => {
        await (await ok(fetch(new URL("/k/" + name + "/" + key, url), { method: "PUT", body: value }))).body?.cancel();
      },
      keys: async () =>
        (await (await ok(fetch(new URL("/keys", url)))).json())
          .filter((key) => key.startsWith(name + "/"))
          .map((key) => key.slice(name.length + 1)),
      close: () => console.log("CLOSE " + name),
    }),
    remove: async ({ url, name }) => {
      console.log("REMOVE " + name);
      return await removePrefix(url, name);
    },
    removeInline: true,
    reset: async ({ url, name }) => {
      if (mode === "no") return false;
      if (mode === "throw" && ++resets === 2) throw new Error("reset broke");
      await removePrefix(url, name);
      return true;
    },
  },
  sweep: {
    list: async (_none, url) =>
      (await (await ok(fetch(new URL("/keys", url)))).json()).map((key) => key.split("/")[0]),
  },
});
`;

const KEPT_TESTS = `
import { integration } from "${new URL("mod.ts", ROOT).href}";
import { kvk } from "./_kvk_service.ts";

const up = await kvk.probe();
for (const which of ["a", "b", "c"]) {
  integration("kvk " + which, { requires: [up], fixtures: { space: kvk.fixture() } }, async (_t, { space }) => {
    console.log("SPACE " + which + " " + space.name + " " + JSON.stringify(await space.keys()));
    await space.put("key", which);
  });
}
`;

Deno.test("custom service with isolation.reset: a module's tests share one space, emptied between them, removed after the last; a space not worth keeping, or whose reset fails, is removed", async () => {
  await using server = await kv.start({ reaper: false });
  const files = {
    "_kvk_service.ts": KEPT_SERVICE,
    "kvk_test.ts": KEPT_TESTS,
  };
  const run = async (reset: string) => {
    const result = await runInlineTest(files, {
      args: ["--sanitize-ops", "--sanitize-resources"],
      env: { KV_URL: server.url, KV_RESET: reset },
    });
    const spaces = [...result.output.matchAll(/^SPACE (\w) (\S+) (.*)$/gm)]
      .map(([, which, name, keys]) => ({ which, name, keys }));
    const removed = [...result.output.matchAll(/^REMOVE (\S+)$/gm)]
      .map((m) => m[1]);
    return { result, spaces, removed };
  };

  // Kept: one space for the three tests, each finding it empty; removed
  // (its own close first) after the last test, and nothing is left.
  const keep = await run("keep");
  expectRun(keep.result, keep.result.passed === 3, "all pass");
  assert.equal(new Set(keep.spaces.map((s) => s.name)).size, 1);
  assert.deepEqual(keep.spaces.map((s) => s.keys), ["[]", "[]", "[]"]);
  assert.deepEqual(keep.removed, [keep.spaces[0]!.name]);
  assert.match(
    keep.result.output,
    new RegExp(`^CLOSE ${keep.spaces[0]!.name}\\nREMOVE `, "m"),
  );
  assert.deepEqual(await keys(server.url), []);

  // Not worth keeping: a space per test, each removed after its test.
  const no = await run("no");
  expectRun(no.result, no.result.passed === 3, "all pass");
  assert.equal(new Set(no.spaces.map((s) => s.name)).size, 3);
  assert.deepEqual(no.removed, no.spaces.map((s) => s.name));
  assert.deepEqual(await keys(server.url), []);

  // The second test's reset fails: that test fails with the error, its
  // space is removed, and the third test gets a new one.
  const broken = await run("throw");
  expectRun(
    broken.result,
    broken.result.passed === 2 && broken.result.failed === 1,
    "the second fails",
  );
  assert.match(broken.result.output, /kvk b .*FAILED/);
  assert.match(broken.result.output, /reset broke/);
  const [a, b, c] = broken.spaces;
  assert.equal(a!.name, b!.name);
  assert.notEqual(c!.name, b!.name);
  assert.deepEqual(broken.removed, [b!.name, c!.name]);
  assert.deepEqual(await keys(server.url), []);
});

Deno.test("defineService refuses isolation.reset without isolation.removeInline, naming both", () => {
  assert.throws(
    () =>
      defineService({
        name: "nope",
        module: import.meta.url,
        env: "NOPE_URL",
        isolation: {
          create: () => ({}),
          remove: () => Promise.resolve(false),
          reset: () => true,
        },
        sweep: { list: () => Promise.resolve([]) },
      }),
    {
      name: "TypeError",
      message:
        `Cannot define service "nope": isolation.reset needs isolation.removeInline (a kept space is removed by the test process, and after a crash by the reaper with the run's spaces)`,
    },
  );
});
