// Internal: where launchers keep what they can reuse between runs (a fresh
// PGlite or PostgreSQL data directory). Not re-exported.

import { readEnv } from "./env.ts";

/**
 * The cache directory: `configured` (`ITKIT_CACHE_DIR`, from
 * `run/settings.ts`; empty: no cache), else the OS cache directory's `itkit`
 * (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
 * `%LOCALAPPDATA%` on Windows); `undefined` when there is none, or when this
 * process may not read and write there (asked without a prompt).
 *
 * @param configured The directory as set, `undefined` when unset.
 * @returns The directory, or `undefined` for no cache.
 */
export function cacheDir(configured: string | undefined): string | undefined {
  let dir: string | undefined;
  if (configured !== undefined) dir = configured.trim() || undefined;
  else {
    const home = readEnv("HOME");
    let base: string | undefined;
    if (Deno.build.os === "windows") base = readEnv("LOCALAPPDATA");
    else if (Deno.build.os === "darwin") {
      base = home && `${home}/Library/Caches`;
    } else base = readEnv("XDG_CACHE_HOME") || (home && `${home}/.cache`);
    dir = base ? `${base.replace(/[\\/]+$/, "")}/itkit` : undefined;
  }
  if (dir === undefined) return undefined;
  for (const name of ["read", "write"] as const) {
    const { state } = Deno.permissions.querySync({ name, path: dir });
    if (state !== "granted") return undefined;
  }
  return dir;
}

/** How old a half-written cache entry must be to be someone's crash. */
const STALE_MS = 10 * 60_000;

/**
 * Stores the cache entry `path` (a file or a directory) whole or not at all:
 * `write` makes it at a name beside it, which is then renamed to `path` (a
 * directory another process stored first stays, and ours goes). What a
 * writer killed mid-write left in the directory goes first. Failures are
 * ignored: the next start makes the entry again.
 */
export async function storeEntry(
  path: string,
  write: (partial: string) => Promise<void> | void,
): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const partial = `${path}.${Deno.pid}.${crypto.randomUUID()}.partial`;
  await removeStalePartials(dir);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await write(partial);
    await Deno.rename(partial, path);
  } catch {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
  }
}

/**
 * Removes the cache entry `path` (one that did not load): renamed away
 * first, so that no start reads it half removed.
 */
export async function removeEntry(path: string): Promise<void> {
  const doomed = `${path}.${Deno.pid}.${crypto.randomUUID()}.removed`;
  try {
    await Deno.rename(path, doomed);
  } catch {
    return; // gone already
  }
  await Deno.remove(doomed, { recursive: true }).catch(() => {});
}

/**
 * Removes what a process killed while writing to the cache directory `dir`
 * left there (`*.partial`, `*.removed`, older than 10 minutes: a live
 * writer's are younger). Failures are ignored.
 */
async function removeStalePartials(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!/\.(partial|removed)$/.test(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      const { mtime } = await Deno.lstat(path);
      if (mtime && Date.now() - mtime.getTime() > STALE_MS) {
        await Deno.remove(path, { recursive: true });
      }
    }
  } catch {
    // Not there yet, or not ours to clean: nothing to do.
  }
}
