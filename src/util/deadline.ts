// Internal: the one way the toolkit races work against a time budget.

/**
 * Settles like `work`, unless `ms` milliseconds pass first: then settles with
 * what `onTimeout` returns (or throws). The timer is always cleared, so nothing
 * outlives the race; `work` is left to settle on its own (its rejection is
 * not observed here once the deadline has won).
 *
 * An infinite `ms` starts no timer.
 */
export async function raceDeadline<T, U>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => U,
): Promise<T | U> {
  if (ms === Infinity) return await work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<U>((resolve, reject) => {
        timer = setTimeout(() => {
          try {
            resolve(onTimeout());
          } catch (error) {
            reject(error);
          }
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `work` with an abort signal that fires after `ms` milliseconds, with
 * `reason()` as its reason: for work that stops itself when told (a request
 * given the signal), rather than being raced. The timer is cleared once
 * `work` settles, so nothing outlives it.
 */
export async function withSignalDeadline<T>(
  ms: number,
  reason: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), ms);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
