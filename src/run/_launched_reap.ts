// Internal: how the reaper (src/run/_reaper_main.ts) stops a program the run
// launched (src/run/launched.ts), and everything it started: the processes
// that carry its marker in their environment, and those of its process group
// once the group is shown to be its (a member carries the marker). SIGTERM,
// then SIGKILL to those left after the program's stop timeout. Linux (/proc).

import type { ReapedResource } from "./_reaper_protocol.ts";

/**
 * The variable that marks a launched program and what it starts (set by
 * launched.ts, looked for here).
 */
export const PROCESS_MARKER = "ITKIT_PROCESS";

/** A launched program as registered with the reaper. */
export interface ReapedProcess extends ReapedResource {
  /** Its pid, also its process group's id. */
  pid: number;
  /** The value of its marker variable. */
  marker: string;
  /** How long it may take to end after SIGTERM, in ms. */
  stopTimeout: number;
}

/**
 * Stops the program and what it started; one that has ended is no failure.
 *
 * @param resource The registered program.
 * @throws When a process is still there after SIGKILL (5 s).
 */
export async function reap(resource: ReapedProcess): Promise<void> {
  const { pid, marker, stopTimeout } = resource;
  const ours = (): number[] => members(pid, marker);
  if (ours().length === 0) return;
  for (const target of ours()) kill(target, "SIGTERM");
  if (await allGone(ours, stopTimeout)) return;
  for (const target of ours()) kill(target, "SIGKILL");
  if (!await allGone(ours, 5_000)) {
    throw new Error(
      `process(es) ${ours().join(", ")} still running 5 s after SIGKILL`,
    );
  }
}

function kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}

async function allGone(
  ours: () => number[],
  ms: number,
): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (ours().length === 0) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The live processes (not zombies) that carry `marker`, and those of process
 * group `pgid` once one of them does.
 */
function members(pgid: number, marker: string): number[] {
  const needle = `${PROCESS_MARKER}=${marker}\0`;
  const marked: number[] = [];
  const inGroup: number[] = [];
  let groupIsOurs = false;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      continue; // gone
    }
    // Fields after the command's closing parenthesis: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") continue;
    const group = Number(fields[2]);
    let environ = "";
    try {
      environ = `\0${Deno.readTextFileSync(`/proc/${pid}/environ`)}`;
    } catch {
      // Not ours to read.
    }
    const carries = environ.includes(`\0${needle}`);
    if (carries) marked.push(pid);
    if (group === pgid) {
      inGroup.push(pid);
      if (carries) groupIsOurs = true;
    }
  }
  return [...new Set([...marked, ...(groupIsOurs ? inGroup : [])])];
}
