// `deno task test`: our own tests, sanitizers on, under `cli.ts run` (which
// provides PostgreSQL and S3 once for the whole run). Test files that only
// touch what they create run in parallel on those servers; the few that
// compare a server's whole state before and after run one at a time, at the
// same time, on servers of their own (a nested `cli.ts run`), so that
// neither group sees the other's databases and buckets. Prints one summary
// line for both, in `deno test`'s format.

import { systemTempDir } from "../src/util/env.ts";

/**
 * Files that diff the servers' whole state: one at a time, on servers of
 * their own, while the others run. (Two such lanes, each with its own
 * servers, measured no faster: the machine's two cores are busy already.)
 */
const SERIAL = [
  "tests/docs/examples_test.ts",
  "tests/run/parallel_test.ts",
  "tests/postgres/postgres_database_test.ts",
  "tests/postgres/postgres_isolation_test.ts",
];

/** What `cli.ts run` exports for the services it provides. */
const SERVICE_VARIABLES = [
  "DATABASE_URL",
  "S3_ENDPOINT",
  "S3_ACCESS_KEY",
  "S3_SECRET_KEY",
  "S3_REGION",
  "ITKIT_REAPER_LOG",
  "ITKIT_SUMMARY_FILE",
];

const started = performance.now();
/** Every `*_test.ts` under `tests/`, at any depth. */
function testFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) =>
    entry.isDirectory
      ? testFiles(`${dir}/${entry.name}`)
      : entry.name.endsWith("_test.ts")
      ? [`${dir}/${entry.name}`]
      : []
  );
}
const found = testFiles("tests").sort();
/** The test files: `tests/<area>/*_test.ts` (tests/README.md). */
const all = found.filter((path) => /^tests\/[^_/][^/]*\/[^/]+$/.test(path));
// A test file anywhere else (directly under tests/, in a testdata/ or
// _shared/ folder) would never run, and nothing would say so.
const astray = found.filter((path) => !all.includes(path));
if (astray.length > 0) {
  throw new Error(
    `tools/test.ts runs tests/<area>/*_test.ts only; move ${
      astray.join(", ")
    } into an area (tests/README.md)`,
  );
}
/**
 * The longest files of the parallel group (wall-clock alone, longest first):
 * `deno test --parallel` starts files in the order given, and one of these
 * started last would run on after the others are done.
 */
const LONGEST = [
  "tests/matrix/fault_matrix_test.ts",
  "tests/postgres/postgres_frozen_test.ts",
  "tests/docs/doc_examples_test.ts",
  "tests/core/install_test.ts",
  "tests/run/reaper_test.ts",
  "tests/run/services_test.ts",
  "tests/run/process_permissions_test.ts",
  "tests/s3/s3_empty_bucket_test.ts",
  "tests/s3/s3_bucket_test.ts",
  "tests/run/launcher_cache_test.ts",
  "tests/core/module_scope_test.ts",
  "tests/run/sweep_test.ts",
  "tests/run/sweep_shared_test.ts",
  "tests/s3/rgw_server_test.ts",
];
// A file named above that moved or went would silently lose its place.
for (const file of [...SERIAL, ...LONGEST]) {
  if (!all.includes(file)) {
    throw new Error(`tools/test.ts names ${file}: no such test file`);
  }
}
const rank = (file: string): number => {
  const i = LONGEST.indexOf(file);
  return i === -1 ? LONGEST.length : i;
};
const parallel = all
  .filter((file) => !SERIAL.includes(file))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const testArgs = ["test", "-A", "--sanitize-ops", "--sanitize-resources"];
const env = {
  // Most of these tests wait on `deno test` subprocesses, and the files that
  // run alone run beside them: 3 jobs kept 2 cores busy (4 measured 10 s
  // slower, with 10 % more CPU spent on contention; 2 the same as 3).
  DENO_JOBS: Deno.env.get("DENO_JOBS") ?? "3",
  // Probes in the test projects wait longer than the 1000 ms default: on a
  // loaded machine a running server can take that long to answer.
  ITKIT_PROBE_TIMEOUT: Deno.env.get("ITKIT_PROBE_TIMEOUT") ?? "10000",
};
/** A nested `cli.ts run`: servers of its own for the command after it. */
const OWN_SERVICES = ["run", "-A", "cli.ts", "run", "--"];
const ownServices: Record<string, string> = { ...Deno.env.toObject(), ...env };
for (const name of SERVICE_VARIABLES) delete ownServices[name];

/** A `deno test` run: its output, exit code and wall-clock seconds. */
interface Group {
  output: string;
  code: number;
  seconds: number;
}

/**
 * Runs `args` with exactly `childEnv`; `live` copies its output as it comes,
 * else it is printed whole by the caller (two groups at once must not
 * interleave lines).
 */
async function run(
  args: string[],
  childEnv: Record<string, string>,
  live: boolean,
): Promise<Group> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: childEnv,
    clearEnv: true,
    stdout: "piped",
    stderr: live ? "inherit" : "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const err = live ? Promise.resolve("") : new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    if (live) await Deno.stdout.write(chunk);
    output += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  return {
    output: output + await err,
    code,
    seconds: Math.round((performance.now() - start) / 1000),
  };
}

const groups = await Promise.all([
  run(
    [...testArgs, "--parallel", ...parallel],
    { ...Deno.env.toObject(), ...env },
    true,
  ),
  run(
    [...OWN_SERVICES, Deno.execPath(), ...testArgs, ...SERIAL],
    ownServices,
    false,
  ),
]);
await Deno.stdout.write(new TextEncoder().encode(groups[1]!.output));

const totals = { passed: 0, failed: 0, ignored: 0, code: 0 };
for (const { output, code } of groups) {
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

/** Linux's transparent huge pages mode: Deno's per-module cost depends on it. */
function hugePages(): string {
  try {
    const text = Deno.readTextFileSync(
      "/sys/kernel/mm/transparent_hugepage/enabled",
    );
    return /\[(\w+)\]/.exec(text)?.[1] ?? "unknown";
  } catch {
    return "";
  }
}
const thp = hugePages();

/**
 * The file system type of the temp dir (Linux: from /proc/mounts): creating
 * and removing files is most of what the suite asks of it, and ext4 without
 * a journal pays for every creation after many removals.
 */
function tempFileSystem(): string {
  try {
    const dir = Deno.realPathSync(systemTempDir());
    let best = { point: "", type: "" };
    for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
      const [, escaped, type] = line.split(" ");
      if (!escaped || !type) continue;
      // Spaces and the like are octal escapes there (`\040`).
      const point = escaped.replace(
        /\\([0-7]{3})/g,
        (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
      );
      const inside = dir === point ||
        dir.startsWith(point.endsWith("/") ? point : `${point}/`);
      if (inside && point.length >= best.point.length) best = { point, type };
    }
    return best.type;
  } catch {
    return "";
  }
}
const tmpType = tempFileSystem();

const time = (seconds: number) =>
  `${Math.floor(seconds / 60)}m${seconds % 60}s`;
const seconds = Math.round((performance.now() - started) / 1000);
console.log(
  `\n${
    totals.code === 0 ? "ok" : "FAILED"
  } | ${totals.passed} passed | ${totals.failed} failed${
    totals.ignored ? ` | ${totals.ignored} ignored` : ""
  } (${time(seconds)}: in parallel ${time(groups[0]!.seconds)}, alone ${
    time(groups[1]!.seconds)
  }${thp ? `; transparent huge pages: ${thp}` : ""}${
    tmpType ? `; TMPDIR on ${tmpType}` : ""
  })`,
);
Deno.exit(totals.code);
