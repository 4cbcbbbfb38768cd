// Internal: when a test fails with Deno's `NotCapable`, say which permission
// was missing, where a test's permissions come from, and what grants it.

import { driverPresetHints } from "../postgres/_preset_hint.ts";

/** A preset that grants a family of permissions, named for the hint. */
interface PresetHint {
  /** How to write it in a test. */
  use: string;
  /** What it is for. */
  why: string;
  /** Whether the missing `kind`/`value` belongs to it. */
  covers(kind: string, value: string): boolean;
}

const PRESETS: readonly PresetHint[] = [
  {
    use: 'permissions: s3ClientPermissions() (from "@itkit/core/s3")',
    why:
      "what the AWS SDK reads when the code under test builds its own S3Client",
    covers: (kind, value) =>
      (kind === "env" &&
        (/^(AWS_|_X_AMZN_)/.test(value) ||
          ["HOME", "USERPROFILE", "HOMEPATH", "HOMEDRIVE"].includes(value))) ||
      (kind === "sys" && value === "osRelease") ||
      (kind === "read" && /[\\/]\.aws[\\/](config|credentials)$/.test(value)),
  },
];

/**
 * The presets that grant the missing `kind`/`value`: a PostgreSQL driver's
 * only if it grants it, and only that driver's when its code is in `stack`
 * (the driver that read it); else the other presets that cover it.
 */
function presetsFor(
  kind: string,
  value: string,
  stack: string,
): { use: string; why: string }[] {
  const drivers = driverPresetHints(kind, value, stack);
  if (drivers.driverKnown) return drivers.presets;
  return [
    ...drivers.presets,
    ...PRESETS.filter((p) => p.covers(kind, value)),
  ];
}

const MARK = "\n  itkit: ";

/**
 * When `error` is Deno's `NotCapable`, appends to its message the missing
 * permission, where the test's permissions come from (its fixtures and its
 * `permissions` option, with what they grant), and the preset or entry that
 * grants it. Any other error is returned as it is.
 *
 * @param error What failed the test.
 * @param test The test's name.
 * @param granted The union the test runs with.
 * @returns The same error object, its message (and stack) extended.
 */
export function explainNotCapable(
  error: unknown,
  test: string,
  granted: Deno.PermissionOptions,
): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  if (error.message.includes(MARK)) return error;
  const match = /Requires (\w+) access(?: to "([^"]*)")?/.exec(error.message);
  if (!match) return error;
  const [, kind = "", value = ""] = match;
  const presets = presetsFor(kind, value, error.stack ?? "");
  const entry = value === ""
    ? `permissions: { ${kind}: true }`
    : `permissions: { ${kind}: [${JSON.stringify(value)}] }`;
  const what = value === "" ? kind : `${kind} ${JSON.stringify(value)}`;
  const lines = [
    `the test ${JSON.stringify(test)} may not use ${what}.`,
    `An integration test runs with the union of its fixtures' permissions and its \`permissions\` option, nothing more (this test: ${
      summarize(granted)
    }).`,
    presets.length
      ? `Grant it with ${
        presets.map((p) => `\`${p.use}\` (${p.why})`).join(", or ")
      }, or just this one: \`${entry}\`.`
      : `Grant it in the test's options: \`${entry}\`.`,
  ];
  const addition = MARK + lines.join(MARK);
  const original = error.message;
  error.message = original + addition;
  if (typeof error.stack === "string" && error.stack.includes(original)) {
    error.stack = error.stack.replace(original, error.message);
  }
  return error;
}

/** `env: A, B, C (+29 more); net: 127.0.0.1:9000`, or `none`. */
function summarize(granted: Deno.PermissionOptions): string {
  if (granted === "none" || granted === "inherit") return granted;
  const parts: string[] = [];
  for (const [kind, grant] of Object.entries(granted)) {
    if (grant === undefined || grant === false) continue;
    if (!Array.isArray(grant)) {
      parts.push(`${kind}: ${grant === true ? "all" : grant}`);
      continue;
    }
    if (grant.length === 0) continue;
    const names = grant.map(String);
    const shown = names.slice(0, 4).join(", ");
    parts.push(
      `${kind}: ${shown}${
        names.length > 4 ? ` (+${names.length - 4} more)` : ""
      }`,
    );
  }
  return parts.length ? parts.join("; ") : "none";
}
