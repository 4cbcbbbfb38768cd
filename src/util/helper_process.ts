// Internal: how the toolkit starts its own Deno helper processes (the reaper,
// the database clone helper): detached, quiet, and in a working directory
// that cannot disappear under them.

import { readEnv } from "./env.ts";

/** Options of {@linkcode spawnHelper}. */
export interface HelperSpawnOptions {
  /** `deno run` flags besides the toolkit's own (permissions). */
  flags: string[];
  /** The program's arguments. */
  args: string[];
}

/**
 * The working directory of a helper: the file system root. A helper outlives
 * the test process, whose working directory may be removed as soon as the
 * tests end (a throwaway checkout); Deno cannot even start without one
 * ("could not read current working directory"), and that failure would come
 * before the helper could say anything. The root also keeps Deno from
 * discovering the user's `deno.json` (and writing its lock file).
 */
export function helperWorkingDir(): string {
  if (Deno.build.os !== "windows") return "/";
  const drive = /^[A-Za-z]:/.exec(Deno.execPath())?.[0] ?? "C:";
  return `${drive}\\`;
}

/**
 * Spawns `deno run` on one of the toolkit's own programs, in its own session
 * (Ctrl-C or SIGTERM to the test's process group misses it), with stdin and
 * stdout piped for its protocol and stderr piped for the one case it says
 * something there: it could not start (its parent reads it when it notices).
 * `--quiet` keeps npm download notices out of that pipe.
 *
 * @param main The program (a `file:` URL, or remote when imported from JSR).
 * @param options Its flags and arguments.
 * @returns The running child.
 */
export function spawnHelper(
  main: URL,
  options: HelperSpawnOptions,
): Deno.ChildProcess {
  const args = ["run", "--quiet", "--no-prompt", ...options.flags];
  if (main.protocol === "file:") {
    // This package's own import map and lock file, wherever the helper runs.
    args.push("--config", new URL("../../deno.json", import.meta.url).pathname);
  }
  return new Deno.Command(Deno.execPath(), {
    args: [...args, main.href, ...options.args],
    // Under `cli.ts permissions --audit`, the helper's own permission checks
    // must not land in the test process's audit log.
    ...(readEnv("DENO_AUDIT_PERMISSIONS")
      ? { clearEnv: true, env: withoutAudit() }
      : {}),
    cwd: helperWorkingDir(),
    detached: true,
    stdin: "piped",
    stdout: "piped",
    // Not inherited: the helper outlives the test process, and whoever reads
    // the process's output must not wait for it.
    stderr: "piped",
  }).spawn();
}

/** The process's environment without Deno's audit log variables. */
function withoutAudit(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.DENO_AUDIT_PERMISSIONS;
  delete env.DENO_TRACE_PERMISSIONS;
  return env;
}
