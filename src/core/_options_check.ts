// Internal: the checks of what integration(), group() and defineFixture()
// take alike (a timeout, a `requires` list, fixtures), made at registration
// so that a bad value fails the module where it was written.

import { MAX_TIMER_MS } from "../run/settings.ts";

/**
 * Checks a `requires` list: an array of awaited probe results.
 *
 * @param where The start of the error message (`Cannot register ...`).
 * @param requires The value to check.
 * @throws {TypeError} Naming the entry that is a Promise or not a result.
 */
export function checkRequires(where: string, requires: unknown): void {
  if (!Array.isArray(requires)) {
    throw new TypeError(
      `${where}: requires must be an array of probe results`,
    );
  }
  for (const [i, result] of requires.entries()) {
    if (result instanceof Promise) {
      throw new TypeError(
        `${where}: requires[${i}] is a Promise; await the probe at the top level of the module (const db = await probeTcp(...)) and pass the result`,
      );
    }
    if (typeof result?.ok !== "boolean") {
      throw new TypeError(
        `${where}: requires[${i}] is not a probe result (expected { ok, name, target, reason })`,
      );
    }
  }
}

/**
 * Checks the options a test shares with a group: `timeout`, `requires`,
 * `fixtures`.
 *
 * @throws {RangeError} For a timeout that is not a positive number a timer
 *   can hold, or `Infinity`.
 * @throws {TypeError} For bad `requires` or `fixtures`.
 */
export function checkSharedOptions(
  where: string,
  options: { timeout?: number; requires?: unknown; fixtures?: unknown },
): void {
  const { timeout, requires, fixtures } = options;
  if (
    timeout !== undefined && timeout !== Infinity &&
    (typeof timeout !== "number" || !(timeout > 0) || timeout > MAX_TIMER_MS)
  ) {
    throw new RangeError(
      `${where}: timeout must be a positive number of milliseconds up to ${MAX_TIMER_MS} (or Infinity for none), got ${timeout}`,
    );
  }
  if (requires !== undefined) checkRequires(where, requires);
  if (
    fixtures !== undefined &&
    (typeof fixtures !== "object" || fixtures === null ||
      Array.isArray(fixtures))
  ) {
    throw new TypeError(
      `${where}: fixtures must be an object of fixture declarations ({ dir: tmpDir.fixture() })`,
    );
  }
}
