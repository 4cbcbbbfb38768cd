/**
 * Test-level sharding: `ITKIT_SHARD=i/n` runs only the integration tests
 * whose name hashes to shard `i` of `n`, so `n` CI machines together run
 * every integration test exactly once.
 *
 * @module
 */

import { shardSpec } from "./settings.ts";

/** A shard of a sharded run. */
export interface Shard {
  /** This machine's shard, from 1. */
  index: number;
  /** How many shards there are. */
  count: number;
}

/** Whether a test belongs to this process's shard, and if not why. */
export interface ShardDecision {
  /** The test runs here. */
  included: boolean;
  /** Why not (`shard 2/3 runs it; this is 1/3`), or `""`. */
  reason: string;
}

/**
 * Parses a shard spec such as `2/3`.
 *
 * @param spec The value of `ITKIT_SHARD`.
 * @returns The shard.
 * @throws {TypeError} When the spec is not `i/n` with `1 <= i <= n`.
 *
 * @example
 * ```ts
 *
 * console.log(parseShard("2/3")); // { index: 2, count: 3 }
 * ```
 */
export function parseShard(spec: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new TypeError(
      `Cannot shard integration tests: ITKIT_SHARD ${
        JSON.stringify(spec)
      } is not a shard (expected i/n with 1 <= i <= n, e.g. 2/3)`,
    );
  }
  return { index, count };
}

/**
 * The shard (1-based) a test name belongs to among `count` shards: a stable
 * FNV-1a hash of the name, the same on every machine and every run.
 *
 * @param name The test's full name.
 * @param count How many shards.
 * @returns The shard index, from 1 to `count`.
 *
 * @example
 * ```ts
 *
 * console.log(shardIndex("[integration] uploads", 4)); // always the same
 * ```
 */
export function shardIndex(name: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % count) + 1;
}

let current: Shard | null | undefined;

/**
 * Decides whether a test runs in this process's shard (`ITKIT_SHARD`).
 *
 * @param name The test's full name.
 * @returns The decision.
 * @throws {TypeError} When `ITKIT_SHARD` is malformed.
 *
 * @example
 * ```ts
 *
 * console.log(shardOf("[integration] uploads").included); // true when unsharded
 * ```
 */
export function shardOf(name: string): ShardDecision {
  if (current === undefined) {
    const spec = shardSpec();
    current = spec === undefined ? null : parseShard(spec);
  }
  if (current === null) return { included: true, reason: "" };
  const index = shardIndex(name, current.count);
  if (index === current.index) return { included: true, reason: "" };
  return {
    included: false,
    reason:
      `shard ${index}/${current.count} runs it; this is ${current.index}/${current.count}`,
  };
}
