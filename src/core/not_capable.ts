// Internal: when a test fails with Deno's `NotCapable`, say which permission
// was missing, where a test's permissions come from, and what grants it.
// A service folder whose presets are worth naming registers them at load
// (`registerPresetHints`: PostgreSQL's driver presets, from
// postgres/client_permissions.ts): core imports no service.

/** A preset to name in the hint. */
export interface PresetHint {
  /** How to write it in a test. */
  use: string;
  /** What it is for. */
  why: string;
}

/**
 * A service folder's presets for a missing `kind` `value`: those that grant
 * it, and whether `stack` shows that folder's own client read it (then no
 * other preset is named).
 */
export type PresetHintSource = (
  kind: string,
  value: string,
  stack: string,
) => { presets: PresetHint[]; readByOwnClient: boolean };

const sources: PresetHintSource[] = [];

/**
 * Adds a service folder's presets to what a `NotCapable` hint may name,
 * before the presets core knows by itself. Called at the load of the module
 * that defines them; a source added twice counts once.
 *
 * @param source Says which of the folder's presets grant a permission.
 */
export function registerPresetHints(source: PresetHintSource): void {
  if (!sources.includes(source)) sources.push(source);
}

/** A preset core names by itself: a family of permissions it covers. */
interface CoveringPreset extends PresetHint {
  /** Whether the missing `kind`/`value` belongs to it. */
  covers(kind: string, value: string): boolean;
}

const PRESETS: readonly CoveringPreset[] = [
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
 * The presets that grant the missing `kind`/`value`: a registered source's
 * only if they grant it, and only that source's when its own client read it
 * (a PostgreSQL driver whose code is in `stack`); else the other presets that
 * cover it.
 */
function presetsFor(
  kind: string,
  value: string,
  stack: string,
): PresetHint[] {
  const named: PresetHint[] = [];
  for (const source of sources) {
    const found = source(kind, value, stack);
    if (found.readByOwnClient) return found.presets;
    named.push(...found.presets);
  }
  return [...named, ...PRESETS.filter((p) => p.covers(kind, value))];
}

const MARK = "\n  itkit: ";

/** The fixtures that come with the toolkit: their permissions are not the user's to declare. */
const BUILT_IN = [
  "tmpDir",
  "env",
  "fetchMock",
  "httpServer",
  "s3Bucket",
  "postgresDatabase",
];

/**
 * When `error` is Deno's `NotCapable`, or a fixture's setup or cleanup
 * failure caused by one (a `FixtureError`, e.g. from a database's `migrate`),
 * appends to its message the missing permission, where the test's permissions
 * come from (its fixtures and its `permissions` option, with what they
 * grant), and the preset or entry that grants it. Any other error is returned
 * as it is.
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
  const found = findNotCapable(error);
  if (!found) return error;
  const { cause, fixture } = found;
  if (!(error instanceof Error) || error.message.includes(MARK)) return error;
  const match = /Requires (\w+) access(?: to "([^"]*)")?/.exec(cause.message);
  if (!match) return error;
  const [, kind = "", value = ""] = match;
  const presets = presetsFor(kind, value, cause.stack ?? "");
  const entry = value === ""
    ? `permissions: { ${kind}: true }`
    : `permissions: { ${kind}: [${JSON.stringify(value)}] }`;
  const what = value === "" ? kind : `${kind} ${JSON.stringify(value)}`;
  const who = fixture
    ? `fixture "${fixture.fixture}" (${fixture.kind}) of the test ${
      JSON.stringify(test)
    } may not use ${what} in its ${fixture.phase}${
      fixture.kind === "postgresDatabase" && fixture.phase === "setup"
        ? " (where its `migrate` runs)"
        : ""
    }.`
    : `the test ${JSON.stringify(test)} may not use ${what}.`;
  const own = fixture && !BUILT_IN.includes(fixture.kind)
    ? ` or in the fixture's own declaration (\`defineFixture({ permissions })\` of "${fixture.kind}")`
    : "";
  const lines = [
    who,
    `An integration test${
      fixture ? ", its fixtures' setup and cleanup included," : ""
    } runs with the union of its fixtures' permissions and its \`permissions\` option, nothing more (this test: ${
      summarize(granted)
    }).`,
    presets.length
      ? `Grant it with ${
        presets.map((p) => `\`${p.use}\` (${p.why})`).join(", or ")
      }, or just this one: \`${entry}\`${own}.`
      : `Grant it in the test's options: \`${entry}\`${own}.`,
  ];
  const addition = MARK + lines.join(MARK);
  const original = error.message;
  error.message = original + addition;
  if (typeof error.stack === "string" && error.stack.includes(original)) {
    error.stack = error.stack.replace(original, error.message);
  }
  return error;
}

/** What a fixture failure says of itself (`FixtureError`'s fields). */
interface FixtureFailure {
  fixture: string;
  kind: string;
  phase: "setup" | "cleanup";
}

/** The `NotCapable` that `error` is or was caused by, and the fixture that failed with it. */
function findNotCapable(
  error: unknown,
): { cause: Error; fixture: FixtureFailure | undefined } | undefined {
  let fixture: FixtureFailure | undefined;
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof Deno.errors.NotCapable) {
      return { cause: current, fixture };
    }
    if (current.name === "FixtureError" && fixture === undefined) {
      fixture = current as unknown as FixtureFailure;
    }
    current = current.cause;
  }
  return undefined;
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

/** Where a test's permission declaration comes from, for the escalation hint. */
export interface PermissionSource {
  /** `fixture "db" (postgresDatabase)`, or `its \`permissions\` option`. */
  source: string;
  permissions: Deno.PermissionOptions | undefined;
}

/** What Deno.permissions.querySync takes for each kind, beside the name. */
const QUERY_KEYS: Record<string, string> = {
  read: "path",
  write: "path",
  ffi: "path",
  net: "host",
  import: "host",
  env: "variable",
  run: "command",
  sys: "kind",
};

const granted = new Map<string, boolean>();

/** Whether the process holds `kind` (for `value`, or all of it), asking no prompt. */
function processHolds(kind: string, value: string | URL | undefined): boolean {
  const key = `${kind}\0${value === undefined ? "" : String(value)}`;
  let held = granted.get(key);
  if (held === undefined) {
    const descriptor: Record<string, string | URL> = { name: kind };
    if (value !== undefined) descriptor[QUERY_KEYS[kind] ?? "path"] = value;
    try {
      held = Deno.permissions.querySync(
        descriptor as unknown as Deno.PermissionDescriptor,
      ).state === "granted";
    } catch {
      held = true; // not a query Deno can answer: leave it to Deno
    }
    granted.set(key, held);
  }
  return held;
}

/**
 * The entries of a test's declarations that its process does not hold: Deno
 * would fail the test with `NotCapable: Can't escalate parent thread
 * permissions` before it starts, naming none. `undefined` when there are none.
 *
 * @param test The test's name.
 * @param sources Its fixtures' and its own declarations.
 * @returns The error to fail the test with (a `NotCapable` saying what to
 *   pass to `deno test`), or `undefined`.
 */
export function escalationOf(
  test: string,
  sources: readonly PermissionSource[],
): Error | undefined {
  const missing: { kind: string; value: string | undefined; source: string }[] =
    [];
  for (const { source, permissions } of sources) {
    if (typeof permissions !== "object" || permissions === null) continue;
    for (const [kind, grant] of Object.entries(permissions)) {
      if (grant === undefined || grant === false || grant === "inherit") {
        continue;
      }
      if (processHolds(kind, undefined)) continue; // the whole kind: -A
      const values = grant === true ? [undefined] : grant as (string | URL)[];
      for (const item of values) {
        if (processHolds(kind, item)) continue;
        const value = item === undefined ? undefined : String(item);
        if (!missing.some((m) => m.kind === kind && m.value === value)) {
          missing.push({ kind, value, source });
        }
      }
    }
  }
  if (missing.length === 0) return undefined;
  const flags = new Map<string, string[]>();
  for (const { kind, value } of missing) {
    const list = flags.get(kind) ?? [];
    if (value !== undefined) list.push(value);
    flags.set(kind, list);
  }
  const flagText = [...flags].map(([kind, values]) =>
    values.length === 0
      ? `--allow-${kind}`
      : `--allow-${kind}=${values.join(",")}`
  ).join(" ");
  const lines = [
    `the test ${JSON.stringify(test)} asks for ${
      missing.map((m) =>
        `${m.kind}${
          m.value === undefined ? "" : ` ${JSON.stringify(m.value)}`
        } (${m.source})`
      ).join(", ")
    }, which this \`deno test\` process was not given.`,
    "A test never gets more than its process: Deno refuses to start it.",
    `Give them to \`deno test\`: \`${flagText}\` (or -A), or add them to the permission set it runs with (\`deno test -P=<set>\`).`,
  ];
  return new Deno.errors.NotCapable(
    `Can't escalate parent thread permissions${MARK}${lines.join(MARK)}`,
  );
}
