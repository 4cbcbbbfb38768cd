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

/** A short id for this process, used in resource names (`a1b2c3d4`). */
export const RUN_ID: string = crypto.randomUUID().slice(0, 8);
