/**
 * Redis as a service of the toolkit, built on the public `defineService()`
 * only (as a user would build one): `REDIS_URL`, a probe, a space per test
 * (a key prefix, or a logical database of its own), the reaper, a lease, the
 * sweep, and Debian's `redis-server` started by `cli.ts run` when
 * `REDIS_URL` is not set.
 *
 * @module
 */

import {
  defineService,
  type Service,
  type ServiceSpaceContext,
} from "../../service.ts";
import { closeRedisClient, type RedisClient, redisClient } from "./client.ts";
import { pingRedis } from "./_ping.ts";
import { CLAIM, REGISTRY, RELEASE } from "./_scripts.ts";

/** Options of a Redis space ({@linkcode redis}). */
export interface RedisOptions {
  /**
   * How the test's space is isolated:
   *
   * - `"prefix"`: a key prefix of its own (`itkit-<run id>-<n>:`) in the
   *   URL's database, on the process's client. Costs nothing at setup and
   *   works on any Redis (shared, ACL-restricted, cluster-like); the code
   *   under test must put `prefix` before its keys, and must not use
   *   `KEYS`, `SCAN` or `FLUSHDB` as if the database were its own.
   * - `"database"`: a logical database of its own (an empty one, recorded
   *   as the space's in `itkit:databases` in the URL's database), flushed
   *   when the space is removed: `url` names it, so code under test (the
   *   app) needs no prefix and may flush it. A client of its own per space
   *   (about a connection's cost per test), and only on a Redis whose other
   *   databases nobody else uses.
   *
   * @default {"prefix"}
   */
  isolation?: "prefix" | "database";
}

/** A test's space on Redis. */
export interface RedisSpace {
  /**
   * A client in the space's database. With `"prefix"` it is the process's
   * client, shared by its tests: never close it or `SELECT` with it.
   */
  readonly client: RedisClient;
  /**
   * The URL of the space's database, for a client of your own or the code
   * under test (`REDIS_URL`).
   */
  readonly url: string;
  /** The space's logical database. */
  readonly db: number;
  /** The space's key prefix (`itkit-<run id>-<n>:`), `""` with `"database"`. */
  readonly prefix: string;
  /**
   * A key of the space: `prefix + key`.
   *
   * @param key The key within the space.
   * @returns The key to use.
   */
  key(key: string): string;
  /**
   * The variables that point code under test at the space: `REDIS_URL`
   * and `REDIS_PREFIX`.
   *
   * @returns The variables.
   */
  env(): { REDIS_URL: string; REDIS_PREFIX: string };
}

/** The logical database a Redis URL names (`/3`), 0 when it names none. */
function databaseOf(url: URL): number {
  const db = url.pathname.replace(/^\//, "");
  return db === "" ? 0 : Number(db);
}

/** `url` with database `db`. */
function withDatabase(url: URL, db: number): string {
  const copy = new URL(url.href);
  copy.pathname = `/${db}`;
  return copy.href;
}

async function create(
  context: ServiceSpaceContext<RedisClient, Required<RedisOptions>>,
): Promise<RedisSpace & { close?: () => Promise<void> }> {
  const { url, name, options, connection } = context;
  const home = databaseOf(url);
  if (options.isolation === "prefix") {
    const prefix = `${name}:`;
    const spaceUrl = withDatabase(url, home);
    return {
      client: connection,
      url: spaceUrl,
      db: home,
      prefix,
      key: (key) => prefix + key,
      env: () => ({ REDIS_URL: spaceUrl, REDIS_PREFIX: prefix }),
    };
  }
  const db = Number(
    await connection.eval(CLAIM, {
      keys: [REGISTRY],
      arguments: [name, String(home)],
    }),
  );
  if (db < 0) {
    throw new Error(
      'no logical database is free (each is in use or not empty; start redis-server with more --databases, or use isolation "prefix")',
    );
  }
  const spaceUrl = withDatabase(url, db);
  const client = await redisClient(new URL(spaceUrl));
  return {
    client,
    url: spaceUrl,
    db,
    prefix: "",
    key: (key) => key,
    env: () => ({ REDIS_URL: spaceUrl, REDIS_PREFIX: "" }),
    close: () => closeRedisClient(client),
  };
}

/** Removes a space by name: its claimed database, else its prefix's keys. */
async function remove(
  { url, name, connection }: {
    url: URL;
    name: string;
    connection: RedisClient;
  },
): Promise<boolean> {
  const released = Number(
    await connection.eval(RELEASE, {
      keys: [REGISTRY],
      arguments: [name, String(databaseOf(url))],
    }),
  );
  if (released === 1) return true;
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await connection.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      `${name}:*`,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    if (keys.length > 0) {
      removed += Number(await connection.sendCommand(["UNLINK", ...keys]));
    }
  } while (cursor !== "0");
  return removed > 0;
}

/** The names of the spaces (and leases) in the URL's database. */
async function list(connection: RedisClient): Promise<string[]> {
  const names = new Set<string>(
    await connection.sendCommand(["HVALS", REGISTRY]) as string[],
  );
  let cursor = "0";
  do {
    const [next, keys] = await connection.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      "itkit-*",
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    for (const key of keys) names.add(key.split(":")[0]!);
  } while (cursor !== "0");
  return [...names];
}

/**
 * Redis: a space per test (see {@linkcode RedisOptions}), removed off the
 * test's path by the reaper (and after a crash, or by a sweep), the probe
 * (`REDIS_URL`), throwaway `redis-server`s and the permissions node-redis
 * needs (`net` to the server, nothing else). Declared, its spaces share one
 * client per process, opened at module load.
 *
 * @example
 * ```ts ignore
 * import { integration } from "../../mod.ts";
 * import { redis } from "../../redis.ts";
 *
 * const up = await redis.probe();
 *
 * integration("counts visits", {
 *   requires: [up],
 *   fixtures: { cache: redis.fixture() },
 * }, async (_t, { cache }) => {
 *   await cache.client.incr(cache.key("visits"));
 *   console.log(await cache.client.get(cache.key("visits"))); // "1"
 * });
 * ```
 */
export const redis: Service<RedisSpace, RedisOptions> = defineService<
  RedisSpace,
  RedisClient,
  RedisOptions,
  Required<RedisOptions>
>({
  name: "redis",
  module: import.meta.url,
  env: "REDIS_URL",
  protocols: ["redis:", "rediss:"],
  defaultPort: 6379,
  probe: pingRedis,
  start: {
    command: ["redis-server"],
    args: ({ port, dir }) => [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      // Room for "database" spaces of parallel test processes.
      "--databases",
      "64",
    ],
    url: ({ port }) => `redis://127.0.0.1:${port}`,
  },
  connect: { open: redisClient, close: closeRedisClient },
  isolation: {
    options(options): Required<RedisOptions> {
      const isolation = options?.isolation ?? "prefix";
      if (isolation !== "prefix" && isolation !== "database") {
        throw new TypeError(
          `Cannot create redis fixture: isolation must be "prefix" or "database", got ${
            JSON.stringify(isolation)
          }`,
        );
      }
      return { isolation };
    },
    create,
    remove,
  },
  sweep: { list: (connection) => list(connection) },
  lease: {
    async hold({ connection, name, runId, ttl }): Promise<void> {
      await connection.set(name, JSON.stringify({ run: runId, ttl }), {
        expiration: { type: "PX", value: ttl },
      });
    },
    async release({ connection, name }): Promise<void> {
      await connection.del(name);
    },
    async alive(connection, _url, runIds): Promise<Set<string>> {
      const names = runIds.map((id) => `itkit-${id}-0`);
      const values = await connection.mGet(names);
      return new Set(runIds.filter((_, i) => values[i] !== null));
    },
  },
});
