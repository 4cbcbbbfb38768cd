// Runs `deno test` in a subprocess on a fixture project and reads what a
// user would read: the exit code, the output and the summary line.

import { waitForReapers } from "../../src/run/reaper.ts";
import { systemTempDir } from "../../src/util/env.ts";
import { heldSockets } from "./sockets.ts";

/** What one `deno test` run printed. */
export interface DenoTestRun {
  code: number;
  output: string;
  passed: number;
  failed: number;
  ignored: number;
  filtered: number;
  /** Removals the run's reapers could not do (from their log). */
  reaperFailed: string[];
}

/** Options of {@linkcode runDenoTest}. */
export interface RunOptions {
  /** Extra `deno test` flags. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Permission flags for the run. */
  permissions?: string[];
  /** Variables to remove from the inherited environment. */
  unset?: string[];
  /** The working directory (else the repository root). */
  cwd?: string;
  /** Kills the run when aborted (for a run that may hang). */
  signal?: AbortSignal;
}

const ROOT = new URL("../../", import.meta.url);

/**
 * Where a program of an area's testdata lives, from the repository root:
 * `tests/<area>/testdata/<name>`. Names are unique across areas (a test may
 * run another area's program by its bare name); a missing or doubled name
 * throws.
 */
export function testdataPath(name: string): string {
  const found: string[] = [];
  for (const area of Deno.readDirSync(new URL("tests/", ROOT))) {
    if (!area.isDirectory) continue;
    const path = `tests/${area.name}/testdata/${name}`;
    try {
      Deno.statSync(new URL(path, ROOT));
      found.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  if (found.length !== 1) {
    throw new Error(
      `testdata program ${name}: ${
        found.length ? `in ${found.join(" and ")}` : "in no tests/*/testdata/"
      }`,
    );
  }
  return found[0]!;
}

/**
 * Runs `deno test` on fixture files: bare names are programs in an area's
 * testdata/ ({@linkcode testdataPath}), paths with a slash are relative to
 * the repository root.
 */
export async function runDenoTest(
  files: string[],
  options: RunOptions = {},
): Promise<DenoTestRun> {
  // A fresh reaper log, so the run's reapers can be waited for: whoever
  // checks for leftovers next must not race them.
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--no-check",
      ...(options.permissions ?? ["-A"]),
      ...(options.args ?? []),
      ...files.map((f) => f.includes("/") ? f : testdataPath(f))
        .map((f) => options.cwd ? new URL(f, ROOT).pathname : f),
    ],
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: {
      ...withoutNames(Deno.env.toObject(), options.unset ?? []),
      NO_COLOR: "1",
      ITKIT_REQUIRE: "",
      ITKIT_SHARD: "",
      ITKIT_REAPER_LOG: log,
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { code, stdout, stderr } = await command.output();
  const reapers = await waitForReapers(log);
  await Deno.remove(log);
  const output = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  const summary =
    output.split("\n").findLast((line) => /^(ok|FAILED) \| /.test(line)) ?? "";
  const count = (word: string) =>
    Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
  return {
    code,
    output,
    passed: count("passed"),
    failed: count("failed"),
    ignored: count("ignored"),
    filtered: count("filtered out"),
    reaperFailed: reapers.failed,
  };
}

/**
 * The import map of an inline project: this repository's (the npm packages
 * by the same names) and the toolkit's entry points (`deno.json` `exports`) by
 * their published names, `@itkit/core`, `@itkit/core/postgres`, …, mapped to
 * this checkout.
 */
async function inlineImportMap(): Promise<Record<string, string>> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as {
    name: string;
    exports: Record<string, string>;
    imports: Record<string, string>;
  };
  return {
    ...config.imports,
    ...Object.fromEntries(
      Object.entries(config.exports).map(([entry, path]) => [
        entry === "." ? config.name : `${config.name}${entry.slice(1)}`,
        new URL(path, ROOT).href,
      ]),
    ),
  };
}

/**
 * Runs `deno test` on programs written in the test itself (as Playwright's
 * `runInlineTest`): `files` (name → source) go to a fresh temp project whose
 * `deno.json` maps `@itkit/core` and its entry points to this checkout; the
 * run is {@linkcode runDenoTest} on the files whose names do not start with
 * `_` (helpers they import), from that project (unless `options.cwd`). The
 * project is removed afterwards.
 */
export async function runInlineTest(
  files: Record<string, string>,
  options: RunOptions = {},
): Promise<DenoTestRun> {
  const dir = await Deno.makeTempDir({ prefix: "itkit-inline-" });
  try {
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ imports: await inlineImportMap(), lock: false }),
    );
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const run = Object.keys(files).filter((name) => !name.startsWith("_"))
      .map((name) => `${dir}/${name}`);
    return await runDenoTest(run, { cwd: dir, ...options });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A fresh marker file for fixtures that record what they did. */
export async function markerFile(): Promise<
  { path: string; lines(): Promise<string[]> } & AsyncDisposable
> {
  const path = await Deno.makeTempFile({ prefix: "itkit-marker-" });
  return {
    path,
    lines: async () =>
      (await Deno.readTextFile(path)).split("\n").filter((l) => l !== ""),
    [Symbol.asyncDispose]: () => Deno.remove(path),
  };
}

/**
 * A loopback port with nothing listening on it, that stays so: below the
 * ephemeral range (from /proc; 32768+ by default), where no `port: 0`
 * listener of a parallel test and no outgoing connection's local port can
 * land on it.
 */
export function closedPort(): number {
  // The ephemeral range's start (Linux; 32768 by default).
  let start = 32_768;
  try {
    start = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range")
        .trim().split(/\s+/)[0],
    ) || start;
  } catch { /* not Linux */ }
  const low = Math.max(1_024, start - 12_000);
  for (;;) {
    const port = low + Math.floor(Math.random() * (start - low));
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // Taken: another.
    }
  }
}

/** Fails with the run's output when `condition` is false. */
export function expectRun(
  run: DenoTestRun,
  condition: boolean,
  what: string,
): void {
  if (!condition) {
    throw new Error(`${what}\n--- deno test output ---\n${run.output}`);
  }
}

function withoutNames(
  env: Record<string, string>,
  names: string[],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !names.includes(name)),
  );
}

/**
 * Waits until `check` holds, polling every 50 ms, else fails after
 * `budget.ms` naming `what` and `budget.why`: the budget is only a bound for
 * an event that never comes, and says what it must cover.
 */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  budget: { ms: number; why: string },
): Promise<void> {
  const until = Date.now() + budget.ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) {
      throw new Error(
        `timed out after ${budget.ms} ms waiting until ${what} (${budget.why})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The inodes of the listening TCP sockets on `port` (Linux: from /proc); with
 * `here`, only those this process holds. Unlike connecting, it cannot be
 * fooled by another process that took the port meanwhile, or by a loopback
 * connection to itself: a socket's inode tells it from a later one on the
 * same port.
 */
export async function listeningInodes(
  port: number,
  here = false,
): Promise<string[]> {
  const inodes: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = await Deno.readTextFile(table);
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1]?.split(":")[1];
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (local && parseInt(local, 16) === port && fields[3] === "0A") {
        inodes.push(fields[9]!);
      }
    }
  }
  if (!here || inodes.length === 0) return inodes;
  const held = heldSockets();
  return inodes.filter((inode) => held.has(inode));
}

/**
 * Those of `inodes` still listening on `port` on the machine (see
 * {@linkcode listeningInodes}): for a server process that has ended. A
 * socket of this process can stay listening a moment after it closed it: a
 * child another thread forks (a parallel test spawning a process) holds a
 * copy of every fd until it execs; {@linkcode heldSockets} says whether this
 * process still has it.
 */
export async function stillListening(
  port: number,
  inodes: string[],
): Promise<string[]> {
  const now = await listeningInodes(port);
  return inodes.filter((inode) => now.includes(inode));
}

export { heldSockets };

/**
 * A project directory for `deno test` runs that type-check: its path is named
 * by its files' content, so a later run of the same files finds Deno's type
 * check cache (keyed by the modules' URLs and contents: any change to them,
 * or to what they import, is checked again) instead of paying a cold check,
 * 4-5 s of CPU each. Removed on dispose. Two runs of one checkout at once
 * would share it: `deno task test` runs one at a time.
 */
export async function projectDir(
  prefix: string,
  files: Record<string, string>,
): Promise<{ path: string } & AsyncDisposable> {
  const bytes = new TextEncoder().encode(JSON.stringify(files));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hash = [...digest.slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const path = `${systemTempDir()}/${prefix}${hash}`;
  // Whatever is there (a killed run's) goes; then made here, only for us: a
  // directory made by someone else in between fails the mkdir.
  await Deno.remove(path, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(path, { mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${path}/${name}`, text);
  }
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
