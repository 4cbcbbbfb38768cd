// Internal: reading the environment without prompting. Not re-exported.

/**
 * Reads an environment variable without prompting: when the process has no
 * permission to read it, it counts as unset.
 */
export function readEnv(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  if (state !== "granted") return undefined;
  return Deno.env.get(name);
}

/** The system temp dir: `$TMPDIR` (or `TMP`, `TEMP`), else the OS default. */
export function systemTempDir(): string {
  const fromEnv = readEnv("TMPDIR") ?? readEnv("TMP") ?? readEnv("TEMP");
  if (fromEnv) return fromEnv.replace(/[\\/]+$/, "");
  return Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
}
