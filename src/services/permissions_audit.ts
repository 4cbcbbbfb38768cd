/**
 * `cli.ts permissions --audit -- deno test …`: runs the tests once with
 * Deno's permission audit log (`DENO_AUDIT_PERMISSIONS`) and every
 * integration test granted the process's permissions, then reports, per
 * test, what it used beyond what its fixtures and `permissions` option grant:
 * the `permissions` to declare, all of them from one run.
 *
 * @module
 */

import { systemTempDir } from "../util/env.ts";
import type { AuditedTest } from "../core/_audit.ts";
import { AUDIT_MARK, auditHeader } from "../core/_audit.ts";

/** What one integration test used beyond its declarations. */
export interface AuditedNeeds {
  /** The test's full name. */
  name: string;
  /** Where it was registered, relative to the working directory. */
  location: string | undefined;
  /** The entries to add to its `permissions` option (empty: none). */
  permissions: Deno.PermissionOptionsObject;
}

/** The outcome of {@linkcode readPermissionAudit}. */
export interface PermissionAudit {
  /** Every integration test that ran, in order. */
  tests: AuditedNeeds[];
  /** Everything the process used: a permission set for `deno test -P`. */
  process: Deno.PermissionOptionsObject;
}

/** One line of Deno's audit log (`stack` with `DENO_TRACE_PERMISSIONS`). */
interface Check {
  permission: string;
  value: string | null;
  stack?: string[];
}

/**
 * File APIs that only read. Under `-A`, Deno 2.9 logs a `write` check beside
 * the `read` of every file it opens, also for these: such a `write` is not
 * needed (a test granted only `read` reads the file).
 */
const READ_ONLY_API =
  /^(?:async )?(?:Object\.)?(?:readTextFile|readFile|stat|lstat|realPath|readDir|readLink|existsSync|exists)(?:Sync)? /;

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]", "::1"];

/**
 * Reads Deno's audit log of a run and the toolkit's records of its tests.
 *
 * Values are made stable from run to run: a loopback host is named without
 * its port (servers on free ports), a URL by its host, and a path in the
 * temp dir by the temp dir (names made per run).
 *
 * @param log The text of `DENO_AUDIT_PERMISSIONS` (JSON lines).
 * @param registrations The text of `ITKIT_AUDIT_PERMISSIONS` (JSON lines).
 * @param cwd Locations are given relative to it.
 * @returns What each test needs beyond its declarations, and the process set.
 *
 * @example
 * ```ts
 * import { readPermissionAudit } from "../../services.ts";
 *
 * const audit = readPermissionAudit("", "");
 * console.log(audit.tests.length); // 0
 * ```
 */
export function readPermissionAudit(
  log: string,
  registrations: string,
  cwd: string = Deno.cwd(),
): PermissionAudit {
  const tests = new Map<string, AuditedTest>();
  for (const line of registrations.split("\n")) {
    if (line.trim() === "") continue;
    const test = JSON.parse(line) as AuditedTest;
    if (typeof test.id !== "string") continue; // the run's token
    tests.set(test.id, test);
  }
  const temp = systemTempDir();
  const used = new Map<string, Map<string, Set<string>>>();
  const order: string[] = [];
  const process = new Map<string, Set<string>>();
  const open: string[] = [];
  for (const line of log.split("\n")) {
    if (line.trim() === "") continue;
    let check: Check;
    try {
      check = JSON.parse(line) as Check;
    } catch {
      continue; // a line cut short by a killed process
    }
    const { permission, value } = check;
    if (value === null) continue; // Deno's own check of a test's whole set
    if (permission === "write" && READ_ONLY_API.test(check.stack?.[0] ?? "")) {
      continue;
    }
    if (permission === "env" && value.startsWith(`${AUDIT_MARK}_`)) {
      const [which, ...rest] = value.slice(AUDIT_MARK.length + 1).split("_");
      const id = rest.join("_");
      if (which === "BEGIN") {
        open.push(id);
        if (!used.has(id)) {
          used.set(id, new Map());
          order.push(id);
        }
      } else open.splice(open.lastIndexOf(id), 1);
      continue;
    }
    const stable = stableValue(permission, value, temp);
    add(process, permission, stable);
    const current = open.at(-1);
    if (current === undefined) continue;
    const test = tests.get(current);
    if (test && covered(test.grants, permission, value)) continue;
    add(used.get(current)!, permission, stable);
  }
  return {
    tests: order.flatMap((id) => {
      const test = tests.get(id);
      if (!test) return [];
      return [{
        name: test.name,
        location: relativeLocation(test.location, cwd),
        permissions: toSet(used.get(id)!),
      }];
    }),
    process: toSet(process),
  };
}

/**
 * The report `cli.ts permissions --audit` prints.
 *
 * @param audit From {@linkcode readPermissionAudit}.
 * @returns Lines of text.
 *
 * @example
 * ```ts
 * import { formatPermissionAudit } from "../../services.ts";
 *
 * console.log(formatPermissionAudit({ tests: [], process: {} }));
 * ```
 */
export function formatPermissionAudit(audit: PermissionAudit): string {
  const needing = audit.tests.filter((t) =>
    Object.keys(t.permissions).length > 0
  );
  const lines = [
    `itkit: permission audit: ${needing.length} of ${audit.tests.length} integration tests used more than their fixtures and \`permissions\` option grant; declare it in each test's options:`,
  ];
  for (const test of needing) {
    lines.push(
      `  ${test.name}${test.location ? ` (${test.location})` : ""}`,
      `    permissions: ${literal(test.permissions)},`,
    );
  }
  lines.push(
    "itkit: the process used (a deno.json permission set, for deno test -P=<name>):",
    JSON.stringify(audit.process, null, 2),
  );
  return lines.join("\n");
}

/** `{ env: ["A"], net: ["127.0.0.1"] }`, as one writes it in a test. */
function literal(set: Deno.PermissionOptionsObject): string {
  const parts = Object.entries(set).map(([kind, values]) =>
    `${kind}: [${
      (values as string[]).map((v) => JSON.stringify(v)).join(", ")
    }]`
  );
  return `{ ${parts.join(", ")} }`;
}

function add(
  into: Map<string, Set<string>>,
  permission: string,
  value: string,
): void {
  let values = into.get(permission);
  if (!values) into.set(permission, values = new Set());
  values.add(value);
}

function toSet(used: Map<string, Set<string>>): Deno.PermissionOptionsObject {
  const set: Record<string, string[]> = {};
  for (const kind of [...used.keys()].sort()) {
    set[kind] = [...used.get(kind)!].sort();
  }
  return set as Deno.PermissionOptionsObject;
}

/** A value as one declares it, the same from run to run. */
function stableValue(permission: string, value: string, temp: string): string {
  if (permission === "net" || permission === "import") {
    const host = hostOf(value);
    const name = host.replace(/:\d+$/, "");
    return LOOPBACK.includes(name) ? name : host;
  }
  if (["read", "write"].includes(permission) && within(value, temp)) {
    return temp;
  }
  return value;
}

/** `host:port` of a URL or a `host:port` check. */
function hostOf(value: string): string {
  if (value.includes("//")) {
    try {
      return new URL(value).host;
    } catch {
      return value;
    }
  }
  return value;
}

function within(path: string, dir: string): boolean {
  const base = dir.replace(/\/$/, "");
  return path === base || path.startsWith(`${base}/`);
}

/** Whether `grants` (a test's declarations) cover one check. */
function covered(
  grants: Deno.PermissionOptions,
  permission: string,
  value: string,
): boolean {
  if (grants === "inherit") return true;
  if (grants === "none") return false;
  const grant = (grants as Record<string, unknown>)[permission];
  if (grant === true || grant === "inherit") return true;
  if (!Array.isArray(grant)) return false;
  const entries = grant.map(String);
  switch (permission) {
    case "read":
    case "write":
    case "ffi":
      return entries.some((entry) => within(value, entry));
    case "net":
    case "import": {
      const host = hostOf(value);
      const name = host.replace(/:\d+$/, "");
      return entries.some((entry) => entry === host || entry === name);
    }
    case "env":
      return entries.some((entry) =>
        entry === value ||
        (entry.endsWith("*") && value.startsWith(entry.slice(0, -1)))
      );
    default:
      return entries.includes(value);
  }
}

function relativeLocation(
  location: string | undefined,
  cwd: string,
): string | undefined {
  if (location === undefined || !location.startsWith("file://")) {
    return location;
  }
  const match = /^(.*):(\d+):(\d+)$/.exec(location);
  if (!match) return location;
  const path = decodeURIComponent(new URL(match[1]!).pathname);
  const base = cwd.replace(/\/$/, "") + "/";
  const shown = path.startsWith(base) ? `./${path.slice(base.length)}` : path;
  return `${shown}:${match[2]}:${match[3]}`;
}

/**
 * Runs `command` (a `deno test` of integration tests) under the audit: every
 * integration test gets the process's permissions and marks its start and
 * end in Deno's audit log.
 *
 * @param command The command and its arguments (without `--parallel`: the
 *   log does not say which worker made a check).
 * @returns Its exit code and the audit.
 * @throws {TypeError} For a command with `--parallel`.
 *
 * @example
 * ```ts
 * import { auditPermissions, formatPermissionAudit } from "../../services.ts";
 *
 * // Your tests: [Deno.execPath(), "test", "-A", "tests/"]. Never a command
 * // that runs this example again.
 * const { audit } = await auditPermissions([Deno.execPath(), "--version"]);
 * console.log(formatPermissionAudit(audit)); // 0 of 0 integration tests …
 * ```
 */
export async function auditPermissions(
  command: string[],
): Promise<{ code: number; audit: PermissionAudit }> {
  if (command.includes("--parallel")) {
    throw new TypeError(
      "Cannot audit permissions: the command runs with --parallel, and Deno's audit log does not say which test file made a check (run it without --parallel)",
    );
  }
  const [program, ...args] = command;
  if (program === undefined) {
    throw new TypeError("Cannot audit permissions: no command given");
  }
  const dir = await Deno.makeTempDir({ prefix: "itkit-audit-" });
  try {
    const log = `${dir}/deno.jsonl`;
    const registrations = `${dir}/itkit.jsonl`;
    // The run's token: audit mode is on only where it reads it back.
    const token = crypto.randomUUID();
    await Deno.writeTextFile(registrations, `${auditHeader(token)}\n`);
    const { code } = await new Deno.Command(program, {
      args,
      env: {
        DENO_AUDIT_PERMISSIONS: log,
        // Stacks tell a read from a write (see READ_ONLY_API).
        DENO_TRACE_PERMISSIONS: "1",
        ITKIT_AUDIT_PERMISSIONS: registrations,
        ITKIT_AUDIT_TOKEN: token,
      },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    const read = (path: string) =>
      Deno.readTextFile(path).catch((error) => {
        if (error instanceof Deno.errors.NotFound) return "";
        throw error;
      });
    return {
      code,
      audit: readPermissionAudit(await read(log), await read(registrations)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
