// `cli.ts permissions --audit -- deno test …` learns, in one run, what each
// integration test uses beyond its declarations: on a project whose tests
// read a file, an environment variable and fetch a loopback URL without
// declaring them (tests/testdata/permissions_audit.ts).
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const PROJECT = "tests/testdata/permissions_audit.ts";

Deno.test("permissions --audit prints, per test, the permissions to declare", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "permissions",
      "--audit",
      "--",
      Deno.execPath(),
      "test",
      "--no-check",
      "-A",
      PROJECT,
    ],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      ITKIT_AUDIT_URL: `http://127.0.0.1:${server.addr.port}/health`,
    },
  }).output();
  const out = new TextDecoder().decode(stdout);
  const all = out + new TextDecoder().decode(stderr);
  assert.equal(code, 0, all);
  const file = new URL(PROJECT, ROOT).pathname;
  assert.ok(
    out.includes(
      [
        "itkit: permission audit: 2 of 3 integration tests used more than their fixtures and `permissions` option grant; declare it in each test's options:",
        `  [integration] reads a file and a variable (./${PROJECT}:8:1)`,
        `    permissions: { env: ["APP_MODE"], read: [${
          JSON.stringify(file)
        }] },`,
        `  [integration] fetches a loopback URL (./${PROJECT}:13:1)`,
        '    permissions: { net: ["127.0.0.1"] },',
        "itkit: the process used",
      ].join("\n"),
    ),
    all,
  );
});

Deno.test("permissions --audit refuses --parallel, whose log it cannot split", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "permissions",
      "--audit",
      "--",
      "deno",
      "test",
      "--parallel",
      PROJECT,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 2);
  assert.match(
    new TextDecoder().decode(stderr),
    /itkit: permissions --audit: run the tests without --parallel/,
  );
});
