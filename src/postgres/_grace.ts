// Internal: how long a database fixture waits for a server that accepts
// connections and never answers (stopped with SIGSTOP, hung, overloaded):
// its cleanup, and its setup once the test has timed out, get a grace
// period; then this process's sockets to the server are closed, so that what
// waits on them fails (and no postgres.js timer outlives the test), and the
// fixture fails with an error naming the server.

import type { PostgresConfig } from "./config.ts";
import { cutOff, serverAddress } from "./_socket.ts";
import { raceDeadline } from "../util/deadline.ts";

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
 * after that: then as {@linkcode withinGrace}.
 */
export async function withinGraceAfterAbort<T>(
  config: PostgresConfig,
  work: Promise<T>,
  signal: AbortSignal | undefined,
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
  return await giveUp(
    config,
    work,
    `within ${SERVER_GRACE} ms of the setup after the test timed out`,
  );
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
