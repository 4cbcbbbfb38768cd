// Bad run-wide settings: each fails the run with one clear error naming the
// variable and what was expected, before anything is made (no temp dir, no
// reaper ready file, no bucket left behind). And `cli.ts sweep` sweeps what
// is configured and says what it skipped.
import assert from "node:assert/strict";
import { expectRun, runInlineTest } from "../_shared/harness.ts";
import { bucketNames, PG } from "../_shared/services.ts";
import { postgresUrl } from "../../postgres.ts";

const rows: [string, (missing: string) => string, RegExp][] = [
  [
    "ITKIT_REAPER",
    () => "2",
    /Cannot read ITKIT_REAPER: "2" is not a flag \(expected 1, true, yes, on or unset to turn it on; 0, false, no or off to turn it off\)/,
  ],
  [
    "ITKIT_REAPER_LOG",
    (missing) => `${missing}/reaper.log`,
    /Cannot read ITKIT_REAPER_LOG: "[^"]+\/missing\/reaper\.log" is in "[^"]+\/missing", which does not exist \(expected a file path in an existing directory; the toolkit appends to it\)/,
  ],
  [
    "ITKIT_PROBE_TIMEOUT",
    () => "99999999999",
    /Cannot read ITKIT_PROBE_TIMEOUT: "99999999999" is more than a timer can hold \(expected a positive whole number of milliseconds up to 2147483647, about 24\.8 days\)/,
  ],
  [
    "ITKIT_SUMMARY_FILE",
    (missing) => `${missing}/summary.jsonl`,
    /Cannot read ITKIT_SUMMARY_FILE: "[^"]+\/missing\/summary\.jsonl" is in "[^"]+\/missing", which does not exist \(expected a file path in an existing directory; the toolkit appends to it\)/,
  ],
];

for (const [name, value, expected] of rows) {
  Deno.test(`${name} that cannot work fails the module at load, naming it, and nothing is made`, async () => {
    // A temp dir of the run's own: whatever it makes shows there.
    const tmp = await Deno.makeTempDir({ prefix: "bad-settings-" });
    try {
      const prefix = `badsettings${Date.now().toString(36)}`;
      const run = await runInlineTest({
        "bad_settings.ts":
          `// Probes with the default budget and declares what the reaper makes ahead (a
// temp dir, a bucket): a bad ITKIT_* setting must fail the module at load,
// naming the variable, before anything is made.
import { integration, tmpDir } from "@itkit/core";
import { probeS3, s3Bucket } from "@itkit/core/s3";

const s3 = await probeS3();

integration("uses a temp dir and a bucket", {
  requires: [s3],
  fixtures: {
    dir: tmpDir.fixture(),
    bucket: s3Bucket.fixture({ prefix: Deno.env.get("BUCKET_PREFIX")! }),
  },
}, () => {});
`,
      }, {
        env: {
          TMPDIR: tmp,
          BUCKET_PREFIX: prefix,
          [name]: value(`${tmp}/missing`),
        },
      });
      expectRun(run, run.code !== 0, "the run must fail");
      expectRun(run, expected.test(run.output), `the error naming ${name}`);
      expectRun(
        run,
        !/Broken pipe|failed to clean up|URIError|NotFound|timed out/.test(
          run.output,
        ),
        "no other failure",
      );
      assert.equal(run.passed + run.ignored, 0, run.output);
      const left = [];
      for await (const entry of Deno.readDir(tmp)) left.push(entry.name);
      assert.deepEqual(left, [], "nothing in the temp dir");
      assert.deepEqual(
        (await bucketNames()).filter((bucket) => bucket.startsWith(prefix)),
        [],
        "no bucket",
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** `cli.ts sweep --dry-run` with only `env` configured and a private temp dir. */
async function sweepOnly(
  env: Record<string, string>,
): Promise<{ code: number; output: string; tmp: string; old: string }> {
  const tmp = await Deno.makeTempDir({ prefix: "bad-settings-" });
  // A temp dir a crashed run left two days ago: the sweep reaches it.
  const old = `${tmp}/itkit-${
    (Date.now() - 2 * 86_400_000).toString(36)
  }abcd-1`;
  await Deno.mkdir(old);
  const keep: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) keep[name] = value;
  }
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "sweep", "--dry-run"],
      clearEnv: true,
      env: { ...keep, NO_COLOR: "1", TMPDIR: tmp, ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code, output: decode(stdout) + decode(stderr), tmp, old };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("cli.ts sweep with only PostgreSQL configured sweeps it and the temp dir, and says S3 was skipped", async () => {
  const { code, output, old } = await sweepOnly({
    DATABASE_URL: postgresUrl(PG, true),
  });
  assert.equal(code, 0, output);
  assert.match(output, /^itkit: sweep: S3 skipped: S3_ENDPOINT is not set$/m);
  assert.doesNotMatch(output, /PostgreSQL skipped|9000/);
  assert.ok(output.includes(`would remove dir ${old}\n`), output);
});

Deno.test("cli.ts sweep with nothing configured sweeps the temp dir and says what it skipped", async () => {
  const { code, output, old } = await sweepOnly({});
  assert.equal(code, 0, output);
  assert.match(output, /^itkit: sweep: S3 skipped: S3_ENDPOINT is not set$/m);
  assert.match(
    output,
    /^itkit: sweep: PostgreSQL skipped: none of DATABASE_URL, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE is set$/m,
  );
  assert.ok(output.includes(`would remove dir ${old}\n`), output);
});

Deno.test("cli.ts run reports a bad ITKIT_REAPER or ITKIT_REAPER_LOG before it starts a server", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "bad-settings-" });
  const keep: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) keep[name] = value;
  }
  try {
    for (
      const [name, value, expected] of [
        [
          "ITKIT_REAPER",
          "2",
          /^itkit: Cannot read ITKIT_REAPER: "2" is not a flag/m,
        ],
        [
          "ITKIT_REAPER_LOG",
          `${tmp}/missing/reaper.log`,
          /^itkit: Cannot read ITKIT_REAPER_LOG: "[^"]+\/missing\/reaper\.log" is in "[^"]+\/missing", which does not exist/m,
        ],
      ] as const
    ) {
      const { code, stdout, stderr } = await new Deno.Command(
        Deno.execPath(),
        {
          args: ["run", "-A", CLI, "run", "--", Deno.execPath(), "--version"],
          clearEnv: true,
          env: { ...keep, NO_COLOR: "1", TMPDIR: tmp, [name]: value },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        },
      ).output();
      const output = new TextDecoder().decode(stdout) +
        new TextDecoder().decode(stderr);
      assert.equal(code, 1, output);
      assert.match(output, expected);
      // Nothing started, nothing ran.
      assert.doesNotMatch(output, /itkit: (postgres|s3):|deno \d/, output);
      const left = [];
      for await (const entry of Deno.readDir(tmp)) left.push(entry.name);
      assert.deepEqual(left, [], "nothing in the temp dir");
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
