// Internal: the one "close once" shape every handle uses.

/** What every handle exposes to be disposed: `close()` and `await using`. */
export interface Closable extends AsyncDisposable {
  /** Runs the cleanup once; later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * `close` and `[Symbol.asyncDispose]` for a handle: both run `cleanup` once
 * and share its outcome, however often and in whatever order they are called.
 * A synchronous cleanup runs at the call itself, before `close()` returns.
 * Spread it into the handle: `{ path, ...disposeOnce(() => remove(path)) }`.
 */
export function disposeOnce(cleanup: () => void | Promise<void>): Closable {
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closed ??= (async () => {
      await cleanup();
    })();
  return { close, [Symbol.asyncDispose]: close };
}
