// `cli.ts permissions --audit -- deno test …` learns, in one run, what each
// integration test uses beyond its declarations: on a project whose tests
// read a file, an environment variable and fetch a loopback URL without
// declaring them (tests/run/testdata/permissions_audit.ts).
import assert from "node:assert/strict";
import { runDenoTest } from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);
const PROJECT = "tests/run/testdata/permissions_audit.ts";

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
  // The test process says it is audited, once.
  assert.equal(
    all.split("\n").filter((l) =>
      l.startsWith(
        "itkit: permission audit (cli.ts permissions --audit): every integration test runs with the process's permissions",
      )
    ).length,
    1,
    all,
  );
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

Deno.test("ITKIT_AUDIT_PERMISSIONS set without cli.ts permissions --audit widens no test's permissions: an error naming it", async () => {
  const file = await Deno.makeTempFile({ prefix: "itkit-audit-" });
  try {
    for (
      const env of [
        { ITKIT_AUDIT_PERMISSIONS: file },
        // All three names, but not the audit's token in its file.
        {
          ITKIT_AUDIT_PERMISSIONS: file,
          ITKIT_AUDIT_TOKEN: "guessed",
          DENO_AUDIT_PERMISSIONS: `${file}.deno`,
        },
      ]
    ) {
      const run = await runDenoTest(["audit_variable.ts"], { env });
      assert.notEqual(run.code, 0, run.output);
      assert.doesNotMatch(run.output, /^READ true$/m);
      assert.equal(run.passed, 0, run.output);
      assert.match(
        run.output,
        /TypeError: Cannot read ITKIT_AUDIT_PERMISSIONS: "[^"]+" is set, but (DENO_AUDIT_PERMISSIONS is not|it does not start with the token of the audit run \(ITKIT_AUDIT_TOKEN\)): only `cli\.ts permissions --audit` turns the permission audit on/,
      );
    }
  } finally {
    await Deno.remove(file);
    await Deno.remove(`${file}.deno`).catch(() => {});
  }
});
