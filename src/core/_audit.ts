// Internal: the test process's side of `cli.ts permissions --audit`. Deno's
// audit log (`DENO_AUDIT_PERMISSIONS`) records every permission check, in
// order, without saying which test made it. Each integration test marks its
// start and end in that same log with a check of its own (an `env` read of a
// name no one sets), and its registration (name, location, what its
// fixtures and options grant) goes to ITKIT_AUDIT_PERMISSIONS. Audit mode is
// on only when the CLI set it up: that file starts with the token of the run
// the CLI put in ITKIT_AUDIT_TOKEN, and Deno's audit log is on.

import { auditSettings } from "../run/settings.ts";

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

/**
 * The first line of the registrations file `cli.ts permissions --audit`
 * makes for a run: its token, which it also sets in `ITKIT_AUDIT_TOKEN`.
 *
 * @param token The run's token.
 * @returns The line, without its newline.
 */
export function auditHeader(token: string): string {
  return JSON.stringify({ itkitAudit: token });
}

/**
 * Whether this process runs under `cli.ts permissions --audit`: the
 * registrations file (`ITKIT_AUDIT_PERMISSIONS`) starts with the token of
 * the run (`ITKIT_AUDIT_TOKEN`) and Deno's audit log is on
 * (`DENO_AUDIT_PERMISSIONS`). Said on stderr once per process.
 *
 * @throws {TypeError} When `ITKIT_AUDIT_PERMISSIONS` is set otherwise: audit
 *   mode runs every integration test with the process's permissions, and no
 *   variable alone may turn that on.
 */
export function isAuditing(): boolean {
  if (file === undefined) {
    const settings = auditSettings();
    if (settings === undefined) {
      file = null;
    } else {
      const why = notTheAudit(settings.file, settings.token, settings.denoLog);
      if (why !== undefined) {
        throw new TypeError(
          `Cannot read ITKIT_AUDIT_PERMISSIONS: ${
            JSON.stringify(settings.file)
          } is set, but ${why}: only \`cli.ts permissions --audit\` turns the permission audit on, in which every integration test runs with the process's permissions (expected it unset)`,
        );
      }
      file = settings.file;
      console.error(
        `itkit: permission audit (cli.ts permissions --audit): every integration test runs with the process's permissions; what each uses beyond its declarations is reported at the end`,
      );
    }
  }
  return file !== null;
}

/** Why the settings are not those of `cli.ts permissions --audit`, if not. */
function notTheAudit(
  path: string,
  token: string | undefined,
  denoLog: string | undefined,
): string | undefined {
  if (denoLog === undefined) return "DENO_AUDIT_PERMISSIONS is not";
  if (token === undefined) return "ITKIT_AUDIT_TOKEN is not";
  let first: string | undefined;
  try {
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      return "the process may not read it";
    }
    first = Deno.readTextFileSync(path).split("\n", 1)[0];
  } catch {
    return "it cannot be read";
  }
  return first === auditHeader(token)
    ? undefined
    : "it does not start with the token of the audit run (ITKIT_AUDIT_TOKEN)";
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
