// `deno task test`: our own tests, sanitizers on, under `cli.ts run` (which
// provides PostgreSQL and S3 once for the whole run). Test files that only
// touch what they create run in parallel; the few that compare a server's
// whole state before and after run alone afterwards. Prints one summary line
// for both phases, in `deno test`'s format.

/** Files that diff the shared servers' state: run after the rest, serially. */
const SERIAL = [
  "tests/examples_test.ts",
  "tests/parallel_test.ts",
  "tests/postgres_database_test.ts",
  "tests/postgres_isolation_test.ts",
  "tests/services_test.ts",
];

const started = performance.now();
const all = [...Deno.readDirSync("tests")]
  .filter((entry) => entry.isFile && entry.name.endsWith("_test.ts"))
  .map((entry) => `tests/${entry.name}`)
  .sort();
const parallel = all.filter((file) => !SERIAL.includes(file));
const totals = { passed: 0, failed: 0, ignored: 0, code: 0 };

for (
  const [files, extra] of [[parallel, ["--parallel"]], [SERIAL, []]] as const
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "-A",
      "--sanitize-ops",
      "--sanitize-resources",
      ...extra,
      ...files,
    ],
    // Most of these tests wait on `deno test` subprocesses: more jobs than
    // cores keeps both cores busy.
    // Probes in the test projects wait longer than the 1000 ms default: on a
    // loaded machine a running server can take that long to answer.
    env: {
      DENO_JOBS: Deno.env.get("DENO_JOBS") ?? "4",
      ITKIT_PROBE_TIMEOUT: Deno.env.get("ITKIT_PROBE_TIMEOUT") ?? "10000",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    output += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  // Colours off (NO_COLOR unset in a terminal): the same line.
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const summary = plain.split("\n").findLast((line) =>
    /^(ok|FAILED) \| /.test(line)
  ) ?? "";
  const count = (word: string) =>
    Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  totals.passed += count("passed");
  totals.failed += count("failed");
  totals.ignored += count("ignored");
  if (code !== 0) totals.code = code;
}

const seconds = Math.round((performance.now() - started) / 1000);
console.log(
  `\n${
    totals.code === 0 ? "ok" : "FAILED"
  } | ${totals.passed} passed | ${totals.failed} failed${
    totals.ignored ? ` | ${totals.ignored} ignored` : ""
  } (${Math.floor(seconds / 60)}m${seconds % 60}s, both phases)`,
);
Deno.exit(totals.code);
