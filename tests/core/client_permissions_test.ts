import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "../_shared/harness.ts";
import {
  pgClientPermissions,
  postgresClientPermissions,
} from "../../postgres.ts";
import { s3ClientPermissions } from "../../s3.ts";
import { explainNotCapable } from "../../src/core/not_capable.ts";

Deno.test("code under test that builds its own clients runs with the presets, and a NotCapable says what grants it", async () => {
  const run = await runDenoTest(["client_permissions.ts"]);
  expectRun(run, run.passed === 3 && run.failed === 3, "3 pass, 3 fail");
  for (
    const name of [
      "own postgres.js pool with the preset",
      "own S3Client with the preset",
      "own S3Client configured by AWS_\\* variables, with the preset",
    ]
  ) {
    assert.match(run.output, new RegExp(`\\] ${name} \\.\\.\\. ok`));
  }
  // The postgres.js failure names the variable, where permissions come from,
  // and the preset.
  assert.match(
    run.output,
    /NotCapable: Requires env access to "PG[A-Z_]+".*\n\s*itkit: the test "\[integration\] own postgres\.js pool without the preset" may not use env "PG[A-Z_]+"\.\n\s*itkit: An integration test runs with the union of its fixtures' permissions and its `permissions` option, nothing more \(this test: net: 127\.0\.0\.1:\d+\)\.\n\s*itkit: Grant it with `permissions: postgresClientPermissions\(\) \(from "@itkit\/core\/postgres"\)`.*or just this one: `permissions: \{ env: \["PG[A-Z_]+"\] \}`/,
  );
  assert.match(
    run.output,
    /may not use env "AWS_PROFILE"\.\n.*\(this test: env: AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, .*net: 127\.0\.0\.1:\d+\)\.\n\s*itkit: Grant it with `permissions: s3ClientPermissions\(\) \(from "@itkit\/core\/s3"\)`/,
  );
  // The SDK's second, dangling rejection of the same failure is not a
  // module-level crash that cancels the other tests.
  assert.doesNotMatch(run.output, /Uncaught error from|cancelled/);
  assert.doesNotMatch(run.output, /UncaughtInTestError/);
  // No preset covers an arbitrary file: the hint is the exact entry.
  assert.match(
    run.output,
    /may not use read "\/etc\/itkit-not-granted\.txt"\.\n.*\n\s*itkit: Grant it in the test's options: `permissions: \{ read: \["\/etc\/itkit-not-granted\.txt"\] \}`/,
  );
});

Deno.test("the hint names, for each permission of a preset, only presets that grant it: that driver's when its code read it", () => {
  const presets: Record<string, Deno.PermissionOptions> = {
    "postgresClientPermissions()": postgresClientPermissions(),
    "postgresClientPermissions({}, { version: 3 })": postgresClientPermissions(
      {},
      { version: 3 },
    ),
    "pgClientPermissions()": pgClientPermissions(),
    "s3ClientPermissions()": s3ClientPermissions(),
  };
  const grants = (preset: string, kind: string, value: string): boolean => {
    const p = presets[preset] as Record<string, unknown>;
    return Array.isArray(p[kind]) && (p[kind] as string[]).includes(value);
  };
  /** The presets the hint for `kind` `value` names, read at `frame`. */
  const named = (kind: string, value: string, frame = ""): string[] => {
    const error = new Deno.errors.NotCapable(
      `Requires ${kind} access to "${value}", run again with the --allow-${kind} flag`,
    );
    error.stack =
      `NotCapable: ${error.message}\n    at Object.get (ext:deno_node/_process/process.ts:1:1360)${frame}`;
    explainNotCapable(error, "t", "none");
    return [...error.message.matchAll(/`permissions: ([^`]+) \(from "/g)]
      .map((m) => m[1]!);
  };
  let checked = 0;
  for (const grant of Object.values(presets)) {
    assert.ok(typeof grant === "object");
    for (const [kind, values] of Object.entries(grant)) {
      for (const value of values as string[]) {
        const names = named(kind, value);
        assert.ok(names.length > 0, `${kind} ${value}: no preset named`);
        for (const name of names) {
          assert.ok(grants(name, kind, value), `${kind} ${value}: ${name}`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} entries`);
  // Read by a driver whose code is in the stack: its preset alone.
  const at = (path: string) =>
    `\n    at parseOptions (file:///root/.cache/deno/npm/registry.npmjs.org/${path}:1:1)`;
  assert.deepEqual(named("env", "PGHOST", at("postgres/3.4.10/src/index.js")), [
    "postgresClientPermissions({}, { version: 3 })",
  ]);
  assert.deepEqual(named("env", "PGMIN", at("postgres/4.2.0/src/index.js")), [
    "postgresClientPermissions()",
  ]);
  assert.deepEqual(
    named("env", "PGHOST", at("pg/8.23.1/lib/connection-parameters.js")),
    [
      "pgClientPermissions()",
    ],
  );
  assert.deepEqual(named("env", "HOME", at("pgpass/1.0.5/lib/helper.js")), [
    "pgClientPermissions()",
  ]);
  // Unknown reader: every preset that has it (4's for postgres.js).
  assert.deepEqual(named("env", "PGHOST"), [
    "postgresClientPermissions()",
    "pgClientPermissions()",
  ]);
  assert.deepEqual(named("env", "PGOPTIONS"), ["pgClientPermissions()"]);
  // A PG* variable no preset has, even read by a driver: no preset.
  assert.deepEqual(named("env", "PGSERVICE"), []);
  assert.deepEqual(
    named("env", "PGOPTIONS", at("postgres/4.2.0/src/index.js")),
    [],
  );
});

Deno.test("the presets merge with the test's own entries", () => {
  const merged = postgresClientPermissions({
    env: ["APP_MODE", "PGHOST"],
    net: ["127.0.0.1:5432"],
  });
  assert.ok(typeof merged === "object");
  const env = merged.env as string[];
  assert.ok(env.includes("APP_MODE") && env.includes("PGMAX"));
  assert.equal(env.filter((name) => name === "PGHOST").length, 1);
  assert.deepEqual(merged.net, ["127.0.0.1:5432"]);
  assert.deepEqual(merged.sys, ["uid", "gid", "userInfo", "homedir"]);
  assert.equal(s3ClientPermissions("inherit"), "inherit");
});

Deno.test("s3ClientPermissions() grants the shared files named by the variables", async () => {
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      'import { s3ClientPermissions } from "./s3.ts"; console.log(JSON.stringify(s3ClientPermissions()))',
    ],
    cwd: new URL("../../", import.meta.url),
    clearEnv: true,
    env: {
      HOME: "/nonexistent/ada",
      AWS_CONFIG_FILE: "/etc/aws/config",
      PATH: Deno.env.get("PATH") ?? "",
      DENO_DIR: denoDir(),
    },
  }).output();
  const grants = JSON.parse(new TextDecoder().decode(child.stdout));
  assert.deepEqual(grants.read, [
    "/etc/aws/config",
    "/nonexistent/ada/.aws/credentials",
  ]);
  assert.deepEqual(grants.sys, ["osRelease"]);
});

/** This process's Deno cache, so a child with another HOME reuses it. */
function denoDir(): string {
  const info = new Deno.Command(Deno.execPath(), { args: ["info", "--json"] })
    .outputSync();
  return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
}
