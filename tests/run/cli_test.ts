// The command line, run as a user runs it: output and exit code.
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const CLI = new URL("cli.ts", ROOT).pathname;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

const USAGE_START = /^usage:\n {2}cli\.ts services/;

const bad: [string[], string][] = [
  [
    ["sweep", "--olderThan", "0s"],
    "itkit: sweep: Unknown option '--olderThan'",
  ],
  [
    ["sweep", "--older-than", "1x"],
    'itkit: sweep: --older-than "1x" is not an age (expected e.g. 0, 90s, 30m, 2h, 1d)',
  ],
  [
    ["sweep", "--older-than"],
    "itkit: sweep: Option '--older-than <value>' argument missing",
  ],
  [
    ["sweep", "--dry-run=yes"],
    "itkit: sweep: Option '--dry-run' does not take an argument",
  ],
  [["services", "--jsn"], "itkit: services: Unknown option '--jsn'"],
  [
    ["run", "deno", "test"],
    'itkit: run needs -- before the command, got "deno test"',
  ],
  [["run", "--"], "itkit: run needs a command after --"],
  [["run", "--quiet", "--", "deno"], "itkit: run: Unknown option '--quiet'"],
  [
    ["frob"],
    'itkit: unknown command "frob" (expected services, run, sweep or permissions)',
  ],
  [[], "itkit: missing command (expected services, run, sweep or permissions)"],
];

for (const [args, line] of bad) {
  Deno.test(`cli ${args.join(" ") || "(nothing)"}: one line, the usage, exit 2`, async () => {
    const run = await cli(args);
    assert.equal(run.code, 2, run.stderr);
    const [first, blank, ...usage] = run.stderr.split("\n");
    assert.equal(first, line);
    assert.equal(blank, "");
    assert.match(usage.join("\n"), USAGE_START);
    assert.equal(run.stdout, "");
  });
}

/** A temp dir holding one fixture dir made two minutes ago by a crashed run. */
async function crashedRunDir(): Promise<
  { tmp: string; leftover: string } & AsyncDisposable
> {
  const tmp = await Deno.makeTempDir({ prefix: "itkit-cli-test-" });
  const runId = (Date.now() - 120_000).toString(36) + "abcd";
  const leftover = `${tmp}/itkit-${runId}-1`;
  await Deno.mkdir(leftover);
  return {
    tmp,
    leftover,
    [Symbol.asyncDispose]: () => Deno.remove(tmp, { recursive: true }),
  };
}

for (
  const args of [["--help"], ["-h"], ["sweep", "--older-than", "0s", "--help"]]
) {
  Deno.test(`cli ${args.join(" ")}: prints the usage and does nothing else`, async () => {
    await using dirs = await crashedRunDir();
    const run = await cli(args, { TMPDIR: dirs.tmp });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, USAGE_START);
    assert.equal(run.stderr, "");
    await Deno.stat(dirs.leftover); // not swept
  });
}

for (const form of [["--older-than=0s"], ["--older-than", "0s"]]) {
  Deno.test(`cli sweep ${form.join(" ")} is read (dry run lists a 2-minute-old leftover)`, async () => {
    await using dirs = await crashedRunDir();
    // A dry run only lists; it removes nothing from the run's servers.
    const run = await cli(["sweep", ...form, "--dry-run"], {
      TMPDIR: dirs.tmp,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^would remove dir ${dirs.leftover}$`, "m"),
    );
    await Deno.stat(dirs.leftover);
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`cli run passes ${signal} on to the command`, async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "run",
        "--",
        Deno.execPath(),
        "run",
        new URL("tests/run/testdata/signal_child.ts", ROOT).pathname,
      ],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("READY\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    child.kill(signal);
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    const { code } = await child.status;
    assert.match(out, new RegExp(`^GOT ${signal}$`, "m"), out);
    // The command's own exit code comes back.
    assert.equal(code, 42, out);
  });
}

Deno.test("cli sweep with a bad configuration prints one line, not a stack trace, and exits 1", async () => {
  const run = await cli(["sweep", "--dry-run"], {
    S3_ENDPOINT: "http://user:pw@127.0.0.1:9000",
  });
  assert.equal(run.code, 1, run.stderr);
  assert.equal(
    run.stderr,
    'itkit: Cannot configure S3: S3_ENDPOINT "http://user:***@127.0.0.1:9000" has credentials in it (expected http://host:port; put the keys in S3_ACCESS_KEY and S3_SECRET_KEY)\n',
  );
});
