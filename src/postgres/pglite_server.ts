/**
 * An embedded PostgreSQL for machines without the server binaries: PGlite
 * (PostgreSQL compiled to WebAssembly, in this process, in memory) served
 * over TCP by `@electric-sql/pglite-socket`, so postgres.js can connect.
 *
 * It is not a PostgreSQL server: one database, one backend shared by all
 * connections (queries are queued; a transaction holds the others back), and
 * startup parameters such as `search_path` are ignored.
 *
 * @module
 */

import type { ServerHandle } from "../run/server_handle.ts";
import type { PostgresConfig } from "./config.ts";
import { postgresUrl } from "./config.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { removeEntry } from "../util/cache_dir.ts";
import {
  pgliteCachePath,
  readCachedDataDir,
  writeCachedDataDir,
} from "./_pglite_cache.ts";

/** The PGlite release imported below (the cached data directory's key). */
const PGLITE_VERSION = "0.5.14";

/** Options of {@linkcode startPglite}. */
export interface PgliteOptions {
  /**
   * How many client connections it accepts at once.
   *
   * @default {64}
   */
  maxConnections?: number;
}

/**
 * A running embedded PGlite server (any password is accepted); `env` holds
 * its `DATABASE_URL`.
 */
export type PgliteServer = ServerHandle<PostgresConfig, "pglite">;

/**
 * Starts PGlite in memory and serves it on 127.0.0.1 and a free port.
 *
 * The first start keeps its freshly initialized data directory in the user's
 * cache directory (`ITKIT_CACHE_DIR`, else the OS cache directory's `itkit`:
 * `$XDG_CACHE_HOME/itkit` or `~/.cache/itkit`, `~/Library/Caches/itkit`,
 * `%LOCALAPPDATA%\itkit`; `ITKIT_CACHE_DIR=""` turns this off), and later starts
 * load it instead of initializing one again (about 2 s and half the CPU
 * less per start). Without permission to read and write there, or with a
 * cached directory that does not load, it initializes a new one.
 *
 * @param options Connection limit.
 * @returns The running server.
 *
 * @example
 * ```ts ignore
 * import { startPglite } from "../../services.ts";
 *
 * await using pg = await startPglite();
 * console.log(pg.env.DATABASE_URL);
 * ```
 */
export async function startPglite(
  options: PgliteOptions = {},
): Promise<PgliteServer> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import("npm:@electric-sql/pglite@0.5.14"),
    import("npm:@electric-sql/pglite-socket@0.2.17"),
  ]);
  const cache = pgliteCachePath(PGLITE_VERSION);
  const cached = cache === undefined
    ? undefined
    : await readCachedDataDir(cache);
  let db: InstanceType<typeof PGlite> | undefined;
  if (cached !== undefined) {
    try {
      db = await PGlite.create({ loadDataDir: cached });
      await db.query("select 1");
    } catch {
      await db?.close().catch(() => {});
      db = undefined;
      await removeEntry(cache!);
    }
  }
  if (db === undefined) {
    db = await PGlite.create();
    // Before any query of the user's: what a fresh initialization leaves.
    if (cache !== undefined) {
      await writeCachedDataDir(cache, await db.dumpDataDir("none"));
    }
  }
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: options.maxConnections ?? 64,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw new Error(`Cannot start PGlite: ${error}`, { cause: error });
  }
  const port = Number(server.getServerConn().split(":").pop());
  const config: PostgresConfig = {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: "postgres",
    database: "postgres",
  };
  return {
    origin: "pglite",
    config,
    env: { DATABASE_URL: postgresUrl(config, true) },
    ...disposeOnce(async () => {
      await server.stop();
      await db.close();
    }),
  };
}
