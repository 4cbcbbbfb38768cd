// Internal: reading the environment without prompting. Not re-exported.
//
// The toolkit reads its own configuration (DATABASE_URL, PG*, S3_*, ITKIT_*,
// the temp dir...) only through `readEnv`, which never sees an env fixture's
// values: while one is in place in this worker, it returns what the variable
// was before. Other workers of a `--parallel` run read nothing meanwhile: the
// lock of env_lock.ts, which this module loads first, keeps their
// module loading and tests out.

import "./env_lock.ts";

/** The values env fixtures replaced in this worker: name -> original, depth. */
const originals = new Map<
  string,
  { value: string | undefined; depth: number }
>();

/**
 * Reads an environment variable without prompting: when the process has no
 * permission to read it, it counts as unset. While an env fixture overrides
 * it, this is the value from before.
 */
export function readEnv(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  if (state !== "granted") return undefined;
  const original = originals.get(name);
  return original ? original.value : Deno.env.get(name);
}

/**
 * Notes that an env fixture is about to change `name`, whose value is
 * `value`: `readEnv` returns that until {@linkcode endOverride}. Nested
 * overrides keep the outermost original.
 */
export function beginOverride(name: string, value: string | undefined): void {
  const original = originals.get(name);
  if (original) original.depth++;
  else originals.set(name, { value, depth: 1 });
}

/** Ends one {@linkcode beginOverride} of `name`, after it was restored. */
export function endOverride(name: string): void {
  const original = originals.get(name);
  if (original && --original.depth === 0) originals.delete(name);
}

/** The system temp dir: `$TMPDIR` (or `TMP`, `TEMP`), else the OS default. */
export function systemTempDir(): string {
  const fromEnv = readEnv("TMPDIR") ?? readEnv("TMP") ?? readEnv("TEMP");
  if (fromEnv) return fromEnv.replace(/[\\/]+$/, "");
  return Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
}
