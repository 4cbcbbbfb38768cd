// Internal: the groups whose bodies are running, while they register tests.
// `group.ts` opens them; `integration.ts` applies their names and options to
// each test registered meanwhile.

import type { ProbeResult } from "./probe_types.ts";

/** What an open group passes down: the options a test shares with it. */
export interface SharedOptions {
  readonly requires?: readonly ProbeResult[];
  readonly permissions?: Deno.PermissionOptions;
  readonly timeout?: number;
  readonly fixtures?: object;
  readonly ignore?: boolean;
}

/** An open group, while its body registers tests. */
export interface GroupFrame {
  readonly name: string;
  readonly options: SharedOptions;
}

/** The open groups, outermost first. */
const open: GroupFrame[] = [];

/** The groups whose bodies are running, outermost first. */
export function openGroups(): readonly GroupFrame[] {
  return open;
}

/**
 * Runs `body` with a group open: every test registered meanwhile gets its
 * name and options. The group is closed however `body` ends.
 *
 * @param name The group's name.
 * @param options What it passes down.
 * @param body Registers its tests.
 * @returns What `body` returned.
 */
export function withGroupOpen<T>(
  name: string,
  options: SharedOptions,
  body: () => T,
): T {
  open.push({ name, options });
  try {
    return body();
  } finally {
    open.pop();
  }
}
