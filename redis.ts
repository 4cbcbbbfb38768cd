/**
 * Redis for integration tests, built on `@itkit/core/service` only: a space
 * per test (a key prefix, or a logical database of its own) removed off the
 * test's path and after a crash, a probe that ignores the tests with a reason
 * when `REDIS_URL` is down or unset, and Debian's `redis-server` started by
 * `cli.ts run` when `REDIS_URL` is not set. The client is node-redis (`redis`
 * on npm), loaded on first use.
 *
 * @example
 * ```ts ignore
 * import { integration } from "./mod.ts";
 * import { redis } from "./redis.ts";
 *
 * const up = await redis.probe();
 *
 * integration("caches a result", {
 *   requires: [up],
 *   fixtures: { cache: redis.fixture() },
 * }, async (_t, { cache }) => {
 *   await cache.client.set(cache.key("answer"), "42");
 * });
 * ```
 *
 * @module
 */

export {
  redis,
  type RedisOptions,
  type RedisSpace,
} from "./src/redis/service.ts";
export {
  closeRedisClient,
  type RedisClient,
  redisClient,
} from "./src/redis/client.ts";
