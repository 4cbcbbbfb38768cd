// Internal: which runs are alive on this machine (temp dirs are local: a
// process is there or not). A run's test process names a ready file after
// itself when it starts its reaper (`ready-itkit-<run id>-<pid>`) or its
// clone helper (`ready-drops-itkit-<run id>-<pid>`), and passes the file's
// path to that helper on its command line. The run is alive while that pid
// runs, or while any process has such a path on its command line: the
// reaper and the clone helper go on after the test process, removing what it
// left, and let go of the run's leases last. Linux only (/proc); elsewhere
// nothing is known here.

import { readyFileOwner } from "./naming.ts";

/**
 * The runs alive on this machine: those with a process that has one of
 * their ready files on its command line, and those with a ready file in
 * `dirs` whose test process runs.
 *
 * @param dirs Temp dirs to look in for ready files.
 * @returns Their run ids (empty where /proc cannot be read).
 */
export function localLiveRuns(dirs: readonly string[]): Set<string> {
  const live = new Set<string>();
  if (Deno.build.os !== "linux") return live;
  for (const line of readyCommandLines()) {
    for (const [, name] of line.matchAll(/\/(ready-[^\s/]+)/g)) {
      const owner = readyFileOwner(name!);
      if (owner) live.add(owner.runId);
    }
  }
  for (const dir of new Set(dirs)) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const entry of entries) {
      const owner = readyFileOwner(entry.name);
      if (owner && processRunning(owner.pid)) live.add(owner.runId);
    }
  }
  return live;
}

/**
 * Whether process `pid` is running: not gone, not a zombie (it has exited;
 * its parent has not collected it yet). Linux only; elsewhere it says yes.
 *
 * @param pid The process id.
 * @returns Whether it runs.
 */
export function processRunning(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** The command lines of this machine's processes that name a ready file. */
function readyCommandLines(): string[] {
  const lines: string[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const line = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
        if (line.includes("ready-")) lines.push(line.replaceAll("\0", " "));
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
  } catch {
    // No /proc to read: only the pids.
  }
  return lines;
}
