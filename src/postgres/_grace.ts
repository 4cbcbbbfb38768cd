// Internal: how long a database fixture waits for a server that accepts
// connections and never answers (stopped with SIGSTOP, hung, overloaded):
// its cleanup, and its setup once the test has timed out, get a grace
// period; then this process's sockets to the server are closed, so that what
// waits on them fails (and no postgres.js timer outlives the test), and the
// fixture fails with an error naming the server. A setup given up on that
// finishes all the same later is closed then, and the server's next setup
// waits for that.

import type { PostgresConfig } from "./config.ts";
import { cutOff, serverAddress } from "./_socket.ts";
import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";

/**
 * How long a cleanup (or a setup after the test's timeout) waits for the
 * server: a cleanup takes milliseconds, and the slowest path (a schema whose
 * drop waits for the test's queries: cancelled after 2 s, then dropped) well
 * under a second more.
 */
export const SERVER_GRACE = 5_000;

/**
 * How long the cut-off work may take to fail once its sockets are closed
 * (what waits on them fails within a turn or two of the event loop).
 */
const SETTLE = 1_000;

/**
 * Settles like `work`, unless the server has not let it finish within
 * {@linkcode SERVER_GRACE}: then the server is cut off until `work` has
 * failed, and this throws an error naming the server and `what` (`"the
 * cleanup"`).
 */
export async function withinGrace<T>(
  config: PostgresConfig,
  work: Promise<T>,
  what: string,
): Promise<T> {
  const late = Symbol("late");
  const result = await raceDeadline(work, SERVER_GRACE, () => late);
  if (result !== late) return result as T;
  return await giveUp(config, work, `within ${SERVER_GRACE} ms of ${what}`);
}

/**
 * Settles like `work` (a setup), unless `signal` aborts (the test timed out)
 * and the server does not let it finish within {@linkcode SERVER_GRACE}
 * after that: then as {@linkcode withinGrace}, and if `work` still finishes
 * later (it waited on something else, and the server runs again), what it
 * made is closed with `dispose` (within the grace too): nothing of a setup
 * given up on is left open for the next tests (see
 * {@linkcode lateSetupsClosed}).
 */
export async function withinGraceAfterAbort<T>(
  config: PostgresConfig,
  work: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => Promise<void>,
): Promise<T> {
  if (!signal) return await work;
  const aborted = Promise.withResolvers<void>();
  const onAbort = () => aborted.resolve();
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const cut = Symbol("cut");
  try {
    const first = await Promise.race([
      work,
      aborted.promise.then(() =>
        raceDeadline(work.then(() => undefined), SERVER_GRACE, () => cut)
      ),
    ]);
    if (first !== cut) return await work;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  closeWhenDone(config, work, dispose);
  return await giveUp(
    config,
    work,
    `within ${SERVER_GRACE} ms of the setup after the test timed out`,
  );
}

/** The closings of setups given up on that may still finish, by server. */
const late = new Map<string, Set<Promise<void>>>();

/** Closes what `work` makes, if it ever does, bounded as a cleanup is. */
function closeWhenDone<T>(
  config: PostgresConfig,
  work: Promise<T>,
  dispose: (value: T) => Promise<void>,
): void {
  const key = serverAddress(config);
  let closings = late.get(key);
  if (!closings) late.set(key, closings = new Set());
  const closing = work.then(
    (value) =>
      withinGrace(
        config,
        Promise.resolve(value).then(dispose),
        "the cleanup of a setup that finished after its test gave up on it",
      ).catch((error) =>
        console.error(
          `itkit: a database fixture's setup finished after its test gave up on it, and could not be closed: ${
            describe(error)
          }`,
        )
      ),
    noop, // failed: nothing was made
  );
  closings.add(closing);
  closing.then(() => {
    closings.delete(closing);
    if (closings.size === 0 && late.get(key) === closings) late.delete(key);
  });
}

/**
 * Waits until the setups on `config`'s server that tests gave up on have
 * finished and were closed (those still waiting on a server that does not
 * answer: at most {@linkcode SERVER_GRACE}): a setup on the server calls it
 * first, so that it never meets what such a setup holds (isolation
 * "truncate"'s one copy, "transaction"'s connection).
 *
 * @param config The server.
 * @returns Nothing when there are none (the usual case, no cost), else the
 *   wait.
 */
export function lateSetupsClosed(
  config: PostgresConfig,
): Promise<void> | undefined {
  const closings = late.get(serverAddress(config));
  if (!closings || closings.size === 0) return undefined;
  return raceDeadline(Promise.all(closings).then(noop), SERVER_GRACE, noop);
}

/** Cuts the server off until `work` has failed (or `SETTLE` passed), then throws. */
async function giveUp<T>(
  config: PostgresConfig,
  work: Promise<T>,
  what: string,
): Promise<never> {
  const error = new Error(
    `PostgreSQL at ${
      serverAddress(config)
    } did not answer ${what} (it accepts connections but does not reply: stopped, hung or overloaded); this process's connections to it were closed`,
  );
  const lift = cutOff(config, error);
  try {
    await raceDeadline(work.then(noop, noop), SETTLE, noop);
  } finally {
    lift();
  }
  throw error;
}

function noop(): void {}
