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
import { CLAIM, EMPTY, REGISTRY, RELEASE } from "./_scripts.ts";

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
   *   app) needs no prefix and may flush it. Declared on tests, the module's
   *   tests share it one after another, flushed after each (one round trip;
   *   the first test claims it, the module's end gives it back); only on a
   *   Redis whose other databases nobody else uses.
   *
   * @default {"prefix"}
   */
  isolation?: "prefix" | "database";
}

/** A test's space on Redis. */
export interface RedisSpace {
  /**
   * A client in the space's database: the process's client, shared by its
   * tests (switched to the space's database with `"database"`): never close
   * it or `SELECT` with it. (A space made while another space of the other
   * kind uses it gets a client of its own.)
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

/**
 * How long a "database" space waits for a database to be freed (by the
 * reaper flushing those of finished tests) before it fails.
 */
const CLAIM_WAIT_MS = 10_000;

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

/**
 * The toolkit's connection to a Redis server: one client, in the URL's
 * database (`home`) unless a "database" space has it selected its own. A
 * space that finds it taken (spaces of both kinds at once) gets a client of
 * its own.
 */
interface Connection {
  readonly client: RedisClient;
  readonly home: number;
  /** The database the client has selected. */
  selected: number;
  /** The "database" space using the client, if any. */
  holder: string | undefined;
  /** How many "prefix" spaces use the client. */
  prefixSpaces: number;
}

async function open(url: URL): Promise<Connection> {
  const home = databaseOf(url);
  return {
    client: await redisClient(url),
    home,
    selected: home,
    holder: undefined,
    prefixSpaces: 0,
  };
}

/**
 * Runs `work` with a client in the URL's database: the connection's (back
 * in its database first), or, while a "database" space holds it, a client
 * of its own.
 */
async function atHome<T>(
  connection: Connection,
  url: URL,
  work: (client: RedisClient) => Promise<T>,
): Promise<T> {
  if (connection.holder === undefined) {
    if (connection.selected !== connection.home) {
      await connection.client.select(connection.home);
      connection.selected = connection.home;
    }
    return await work(connection.client);
  }
  const client = await redisClient(url);
  try {
    return await work(client);
  } finally {
    await closeRedisClient(client);
  }
}

async function create(
  context: ServiceSpaceContext<Connection, Required<RedisOptions>>,
): Promise<RedisSpace & { close?: () => Promise<void> }> {
  const { url, name, options, connection } = context;
  const home = connection.home;
  if (options.isolation === "prefix") {
    const prefix = `${name}:`;
    const spaceUrl = withDatabase(url, home);
    const space = {
      url: spaceUrl,
      db: home,
      prefix,
      key: (key: string) => prefix + key,
      env: () => ({ REDIS_URL: spaceUrl, REDIS_PREFIX: prefix }),
    };
    if (connection.holder === undefined) {
      if (connection.selected !== home) {
        await connection.client.select(home);
        connection.selected = home;
      }
      connection.prefixSpaces++;
      return {
        ...space,
        client: connection.client,
        close: () => {
          connection.prefixSpaces--;
          return Promise.resolve();
        },
      };
    }
    const client = await redisClient(url);
    return { ...space, client, close: () => closeRedisClient(client) };
  }
  const claim = () =>
    atHome(connection, url, async (client) =>
      Number(
        await client.eval(CLAIM, {
          keys: [REGISTRY],
          arguments: [name, String(home)],
        }),
      ));
  // The databases of spaces just handed to the reaper are freed as it
  // flushes them: when none is free yet, wait for one (within a bound).
  let db = await claim();
  const until = Date.now() + CLAIM_WAIT_MS;
  for (let pause = 5; db < 0; pause = Math.min(pause * 2, 100)) {
    if (context.signal.aborted || Date.now() > until) {
      throw new Error(
        `no logical database became free within ${CLAIM_WAIT_MS} ms (each is in use by a space or not empty; start redis-server with more --databases, or use isolation "prefix")`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    db = await claim();
  }
  const spaceUrl = withDatabase(url, db);
  const space = {
    url: spaceUrl,
    db,
    prefix: "",
    key: (key: string) => key,
    env: () => ({ REDIS_URL: spaceUrl, REDIS_PREFIX: "" }),
  };
  if (connection.holder === undefined && connection.prefixSpaces === 0) {
    // The process's client, switched to the space's database.
    await connection.client.select(db);
    connection.selected = db;
    connection.holder = name;
    return {
      ...space,
      client: connection.client,
      close: () => {
        connection.holder = undefined;
        return Promise.resolve();
      },
    };
  }
  const client = await redisClient(new URL(spaceUrl));
  return { ...space, client, close: () => closeRedisClient(client) };
}

/** Removes a space by name: its claimed database, else its prefix's keys. */
async function remove(
  { url, name, connection, space }: {
    url: URL;
    name: string;
    connection: Connection;
    space?: RedisSpace;
  },
): Promise<boolean> {
  return await atHome(connection, url, async (client) => {
    // The test process knows its space's kind: one of the two.
    if (space !== undefined && space.prefix === "") {
      return Number(await releaseDatabase(client, name, connection.home)) ===
        1;
    }
    if (space !== undefined) return await removeKeys(client, name);
    // By name alone (the reaper, a sweep): a claimed database, else keys.
    if (Number(await releaseDatabase(client, name, connection.home)) === 1) {
      return true;
    }
    return await removeKeys(client, name);
  });
}

/** Flushes and forgets the database `name` claimed; 1, or 0 if none. */
function releaseDatabase(
  client: RedisClient,
  name: string,
  home: number,
): Promise<unknown> {
  return client.eval(RELEASE, {
    keys: [REGISTRY],
    arguments: [name, String(home)],
  });
}

/** Unlinks the keys under `name:`; whether there were any. */
async function removeKeys(client: RedisClient, name: string): Promise<boolean> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      `${name}:*`,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    if (keys.length > 0) {
      removed += Number(await client.sendCommand(["UNLINK", ...keys]));
    }
  } while (cursor !== "0");
  return removed > 0;
}

/** The names of the spaces (and leases) in the URL's database. */
async function list(connection: Connection, url: URL): Promise<string[]> {
  return await atHome(connection, url, async (client) => {
    const names = new Set<string>(
      await client.sendCommand(["HVALS", REGISTRY]) as string[],
    );
    let cursor = "0";
    do {
      const [next, keys] = await client.sendCommand([
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
  });
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
  Connection,
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
  connect: {
    open,
    close: (connection) => closeRedisClient(connection.client),
  },
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
    // A round trip or two: cheaper in the test than handed to the reaper.
    removeInline: true,
    // A "database" space stays claimed for the module's next test, flushed
    // (while recorded as its own): one round trip instead of four.
    async reset({ space, name, connection }): Promise<boolean> {
      if (space.prefix !== "") return false;
      return Number(
        await space.client.eval(EMPTY, {
          keys: [REGISTRY],
          arguments: [name, String(space.db), String(connection.home)],
        }),
      ) === 1;
    },
  },
  sweep: { list },
  lease: {
    async hold({ connection, url, name, runId, ttl }): Promise<void> {
      await atHome(connection, url, async (client) => {
        await client.set(name, JSON.stringify({ run: runId, ttl }), {
          expiration: { type: "PX", value: ttl },
        });
      });
    },
    async release({ connection, url, name }): Promise<void> {
      await atHome(connection, url, (client) => client.del(name));
    },
    async alive(connection, url, runIds): Promise<Set<string>> {
      const names = runIds.map((id) => `itkit-${id}-0`);
      const values = await atHome(
        connection,
        url,
        (client) => client.mGet(names),
      );
      return new Set(runIds.filter((_, i) => values[i] !== null));
    },
  },
});
