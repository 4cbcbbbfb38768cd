// Internal: where the PostgreSQL server binaries are, for the launcher
// (server.ts) and for what the configured services need (services/).

import { readEnv } from "../util/env.ts";

/**
 * Finds the directory of the PostgreSQL server binaries.
 *
 * @param binDir A directory to check first.
 * @returns The directory, or `undefined` when there is none.
 *
 * @example
 * ```ts
 *
 * console.log(await findPostgresBinaries() ?? "no PostgreSQL server binaries");
 * ```
 */
export async function findPostgresBinaries(
  binDir?: string,
): Promise<string | undefined> {
  const candidates: string[] = [];
  const explicit = binDir ?? readEnv("PG_BIN_DIR");
  if (explicit) candidates.push(explicit);
  try {
    const versions: number[] = [];
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
    versions.sort((a, b) => b - a);
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch { /* not Debian, or none installed */ }
  for (const dir of (readEnv("PATH") ?? "").split(":")) {
    if (dir) candidates.push(dir);
  }
  for (const dir of candidates) {
    if (await isFile(`${dir}/initdb`) && await isFile(`${dir}/pg_ctl`)) {
      return dir;
    }
    if (explicit && dir === explicit) {
      throw new TypeError(
        `Cannot start PostgreSQL: ${dir} has no initdb and pg_ctl (check PG_BIN_DIR)`,
      );
    }
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
