// The module imported by path from another project (vendored, a checkout, a
// monorepo): it must not depend on this repository's import map.
import assert from "node:assert/strict";
import { waitForReapers } from "../../src/run/reaper.ts";
import { expectRun, projectDir } from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));

/** Every module specifier in src/ and the entry points that is not relative. */
async function externalSpecifiers(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const files = ["mod.ts", "postgres.ts", "s3.ts", "services.ts", "cli.ts"];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (path.endsWith(".ts")) files.push(path);
    }
  };
  await walk("src/");
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    // Code only: JSDoc examples are the user's code, checked by --doc.
    const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "");
    const statements = /^\s*(?:import|export)\b[^";]*?from\s+"([^"]+)"/gm;
    const dynamic = /\bimport\(\s*"([^"]+)"/g;
    for (
      const [, specifier] of [
        ...code.matchAll(statements),
        ...code.matchAll(dynamic),
      ]
    ) {
      if (!/^(\.|node:)/.test(specifier!)) found.set(specifier!, file);
    }
  }
  return found;
}

Deno.test("the module loads its packages by full npm: specifiers that match deno.json imports", async () => {
  const specifiers = await externalSpecifiers();
  assert.ok(specifiers.size >= 5, `found ${[...specifiers.keys()]}`);
  const ranges = new Map(
    Object.values(config.imports as Record<string, string>).map((value) => {
      const [, name, range] = /^npm:(@?[^@]+)@(.+)$/.exec(value)!;
      return [name, range];
    }),
  );
  for (const [specifier, file] of specifiers) {
    const match = /^npm:(@?[^@/]+(?:\/[^@/]+)?)@([^/]+)(\/.*)?$/.exec(
      specifier,
    );
    assert.ok(
      match,
      `${file} imports "${specifier}", not a full npm: specifier`,
    );
    const [, name, range] = match;
    assert.equal(
      range,
      ranges.get(name),
      `${file} imports ${name}@${range}, deno.json has ${ranges.get(name)}`,
    );
  }
});

/** The small suite a user writes in their own project. */
function userSuite(sdk: string): string {
  const at = (file: string) => JSON.stringify(new URL(file, ROOT).href);
  return `
import { PutObjectCommand } from "${sdk}";
import { integration, tmpDir } from ${at("mod.ts")};
import { probeS3, s3Bucket } from ${at("s3.ts")};
import { postgresDatabase, probePostgres } from ${at("postgres.ts")};

const s3 = await probeS3();
const db = await probePostgres();

integration("temp dir", { fixtures: { dir: tmpDir.fixture() } }, async (_t, { dir }) => {
  await Deno.writeTextFile(dir.join("a.txt"), "a");
});

integration("bucket", { requires: [s3], fixtures: { bucket: s3Bucket.fixture() } }, async (_t, { bucket }) => {
  await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: "k", Body: "v" }));
});

integration("database", { requires: [db], fixtures: { db: postgresDatabase.fixture() } }, async (_t, { db }) => {
  const [row] = await db.sql<{ one: number }[]>\`select 1 as one\`;
  if (row.one !== 1) throw new Error("select 1");
});
`;
}

/** A test to add to the suite: s3rver and PGlite load their packages on demand. */
const LAUNCHERS = `
import { startPglite, startS3rver } from ${
  JSON.stringify(new URL("services.ts", ROOT).href)
};

Deno.test("the launchers load their packages", async () => {
  await using s3rver = await startS3rver();
  await using pglite = await startPglite();
  if (!s3rver.env.S3_ENDPOINT || !pglite.env.DATABASE_URL) throw new Error("no env");
});
`;

async function runUserProject(
  files: Record<string, string>,
): Promise<{ code: number; output: string; reaperFailed: string[] }> {
  await using dir = await projectDir("itkit-user-project-", files);
  // The run's reapers may still be removing what it made when it ends: wait
  // for them (and count their failures) before the project goes.
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      // Type-checked (no --no-check), as a user's `deno test` would be.
      args: ["test", "-A", "suite_test.ts"],
      cwd: dir.path,
      env: { NO_COLOR: "1", ITKIT_REQUIRE: "1", ITKIT_REAPER_LOG: log },
      stdin: "null",
    }).output();
    const reapers = await waitForReapers(log);
    const decoder = new TextDecoder();
    return {
      code,
      output: decoder.decode(stdout) + decoder.decode(stderr) +
        reapers.failed.map((line) => `\nreaper: ${line}`).join(""),
      reaperFailed: reapers.failed,
    };
  } finally {
    await Deno.remove(log);
  }
}

function expectAllPassed(
  run: { code: number; output: string; reaperFailed: string[] },
  tests: number,
): void {
  const ok = run.code === 0 && run.reaperFailed.length === 0 &&
    new RegExp(`ok \\| ${tests} passed \\| 0 failed`).test(run.output);
  expectRun(
    { ...run, passed: 0, failed: 0, ignored: 0, filtered: 0 },
    ok,
    `the user's suite type-checks, its ${tests} tests pass and its reaper removes what they left`,
  );
}

Deno.test("imported by path from a project with its own deno.json (without our imports), it type-checks and runs", async () => {
  const sdk = config.imports["@aws-sdk/client-s3"];
  const run = await runUserProject({
    // What `deno add npm:@aws-sdk/client-s3` writes.
    "deno.json": JSON.stringify({ imports: { "@aws-sdk/client-s3": sdk } }),
    "suite_test.ts": userSuite("@aws-sdk/client-s3"),
  });
  expectAllPassed(run, 3);
});

Deno.test("imported by path from a directory with no deno.json, it type-checks and runs, and its launchers load their packages", async () => {
  const run = await runUserProject({
    // The launchers here only: their imports resolve the same way in both.
    "suite_test.ts": userSuite(config.imports["@aws-sdk/client-s3"]) +
      LAUNCHERS,
  });
  expectAllPassed(run, 4);
});
