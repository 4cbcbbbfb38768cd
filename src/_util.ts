// Internal helpers shared by the toolkit's modules. Not re-exported.

/** A short, one-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Reads an environment variable without prompting: when the process has no
 * permission to read it, it counts as unset.
 */
export function readEnv(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  if (state !== "granted") return undefined;
  return Deno.env.get(name);
}

/**
 * An id for this process, used in the names of everything fixtures create:
 * the creation time in base 36 (so a sweeper can tell its age) and four random
 * hex digits, lowercase and DNS-safe (`mi3k2j1a4f2c`).
 */
export const RUN_ID: string = Date.now().toString(36) +
  crypto.randomUUID().slice(0, 4);

/** The creation time encoded in a run id, or `undefined` if it is not one. */
export function runIdTime(runId: string): Date | undefined {
  const match = /^([0-9a-z]{8,9})[0-9a-f]{4}$/.exec(runId);
  if (!match) return undefined;
  const time = parseInt(match[1], 36);
  return Number.isFinite(time) ? new Date(time) : undefined;
}

let sequence = 0;

/** `<run id><sep><n>`, unique in this process. */
export function uniqueSuffix(separator: string): string {
  return `${RUN_ID}${separator}${++sequence}`;
}

/** A name unique in this run: `<prefix><sep><run id><sep><n>`. */
export function uniqueName(prefix: string, separator: string): string {
  return `${prefix}${separator}${uniqueSuffix(separator)}`;
}

/** `value` with any password in it replaced by `***`. */
export function maskUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@/]*@/, "$1***@");
}

/** The system temp dir: `$TMPDIR` (or `TMP`, `TEMP`), else the OS default. */
export function systemTempDir(): string {
  const fromEnv = readEnv("TMPDIR") ?? readEnv("TMP") ?? readEnv("TEMP");
  if (fromEnv) return fromEnv.replace(/[\\/]+$/, "");
  return Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
}
