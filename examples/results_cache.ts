/**
 * The code under test in the Redis examples: a cache in front of the results
 * store. Records are read from Redis when cached there, else from the store
 * (and then cached); saving a record drops its cached copy.
 *
 * @module
 */

import type { RedisClient } from "../redis.ts";
import type { LocalResultsStore, ResultRecord } from "./results_store.ts";

/** A results store with a Redis cache in front. */
export class CachedResultsStore {
  readonly #store: LocalResultsStore;
  readonly #redis: RedisClient;
  readonly #prefix: string;
  /** How many loads went to the store. */
  misses = 0;

  /**
   * @param store Where records live.
   * @param redis The cache.
   * @param prefix What the cache's keys start with.
   */
  constructor(store: LocalResultsStore, redis: RedisClient, prefix = "") {
    this.#store = store;
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** The cache key of record `name`. */
  cacheKey(name: string): string {
    return `${this.#prefix}result:${name}`;
  }

  /** Saves a record and drops its cached copy. */
  async save(name: string, record: ResultRecord): Promise<void> {
    await this.#store.save(name, record);
    await this.#redis.del(this.cacheKey(name));
  }

  /** Loads a record: from the cache, else from the store (then cached for a minute). */
  async load(name: string): Promise<ResultRecord> {
    const cached = await this.#redis.get(this.cacheKey(name));
    if (cached !== null) return JSON.parse(cached);
    this.misses++;
    const record = await this.#store.load(name);
    await this.#redis.set(this.cacheKey(name), JSON.stringify(record), {
      expiration: { type: "EX", value: 60 },
    });
    return record;
  }
}
