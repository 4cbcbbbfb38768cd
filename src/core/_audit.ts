// Internal: the test process's side of `cli.ts permissions --audit`. Deno's
// audit log (`DENO_AUDIT_PERMISSIONS`) records every permission check, in
// order, without saying which test made it. Each integration test marks its
// start and end in that same log with a check of its own (an `env` read of a
// name no one sets), and its registration (name, location, what its
// fixtures and options grant) goes to ITKIT_AUDIT_PERMISSIONS.

import { auditFile } from "../run/settings.ts";

/** One registered test, as the audit reads it. */
export interface AuditedTest {
  /** Its id in the marks. */
  id: string;
  /** Its full name. */
  name: string;
  /** Where it was registered (`<url>:<line>:<column>`), if known. */
  location: string | undefined;
  /** What its fixtures and `permissions` option grant. */
  grants: Deno.PermissionOptions;
}

/** The prefix of the marks' variable names. */
export const AUDIT_MARK = "ITKIT_AUDIT_MARK";

let file: string | null | undefined;
let count = 0;

/** Whether this process runs under `cli.ts permissions --audit`. */
export function isAuditing(): boolean {
  file ??= auditFile() ?? null;
  return file !== null;
}

/**
 * Records a test's registration.
 *
 * @returns Its id, for {@linkcode auditMark}.
 */
export function auditRegistration(
  name: string,
  location: string | undefined,
  grants: Deno.PermissionOptions,
): string {
  const id = `${Date.now().toString(36)}.${
    crypto.randomUUID().slice(0, 8)
  }.${count++}`;
  const record: AuditedTest = { id, name, location, grants };
  Deno.writeTextFileSync(file!, JSON.stringify(record) + "\n", {
    append: true,
  });
  return id;
}

/** Marks a test's start or end in Deno's audit log. */
export function auditMark(which: "begin" | "end", id: string): void {
  try {
    Deno.env.get(`${AUDIT_MARK}_${which.toUpperCase()}_${id}`);
  } catch {
    // Not granted: the check is logged all the same.
  }
}
