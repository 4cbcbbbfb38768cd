/**
 * The Redis client the Redis service uses: node-redis (`redis` on npm),
 * loaded on first use. It reads no environment variable and needs nothing
 * but the network to the server, under Deno's sanitizers too.
 *
 * @module
 */

import type { RedisClientType } from "npm:redis@^5.12.4";

/** A node-redis client (`createClient()`'s, as `redis` exports it). */
export type RedisClient = RedisClientType;

let loading: Promise<typeof import("npm:redis@^5.12.4")> | undefined;

/**
 * Loads node-redis once.
 *
 * @returns The module.
 */
function loadRedis(): Promise<typeof import("npm:redis@^5.12.4")> {
  return loading ??= import("npm:redis@^5.12.4");
}

/**
 * Opens a client to `url` that does not reconnect (a server that went away
 * fails the commands sent to it) and never leaves an unhandled error.
 *
 * @param url The server, `redis://[user:password@]host:port[/db]`.
 * @returns The connected client.
 * @throws When the server refuses or does not answer within 10 s.
 *
 * @example
 * ```ts ignore
 * import { closeRedisClient, redis, redisClient } from "../../redis.ts";
 *
 * await using server = await redis.start();
 * const client = await redisClient(new URL(server.url));
 * await client.set("greeting", "hello");
 * await closeRedisClient(client);
 * ```
 */
export async function redisClient(url: URL): Promise<RedisClient> {
  const { createClient } = await loadRedis();
  const client = createClient({
    url: url.href,
    socket: { reconnectStrategy: false, connectTimeout: 10_000 },
  }) as unknown as RedisClient;
  // Failures reach the commands that were sent; nothing is left unhandled.
  client.on("error", () => {});
  await client.connect();
  return client;
}

/**
 * Closes a client; one already closed (its server went away) is no failure.
 *
 * @param client The client.
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  await client.close().catch(() => client.destroy());
}
