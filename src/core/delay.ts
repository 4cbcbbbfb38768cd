/**
 * An abortable sleep, for test bodies that should stop when the toolkit's
 * timeout fires.
 *
 * @module
 */

/**
 * Resolves after `ms` milliseconds, or rejects with the signal's reason as
 * soon as `signal` is aborted (clearing its timer, so nothing leaks).
 *
 * @param ms How long to wait.
 * @param signal Stops the wait early, e.g. the test's `t.signal`.
 * @returns A promise that settles after the wait.
 * @throws {RangeError} When `ms` is negative or not a number.
 *
 * @example
 * ```ts
 * import { delay } from "../../mod.ts";
 *
 * await delay(10);
 * const controller = new AbortController();
 * controller.abort(new Error("stop"));
 * await delay(60_000, controller.signal).catch((e) => console.log(e.message)); // stop
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (typeof ms !== "number" || !(ms >= 0)) {
    throw new RangeError(
      `Cannot delay: ms must be a non-negative number, got ${ms}`,
    );
  }
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
