/**
 * What a service you define tells the toolkit: how to start one on loopback,
 * how to know it is up, how to give each test a space of its own on it and
 * remove that space, how to find what a crashed run left, and what its client
 * needs. See {@linkcode defineService}.
 *
 * @module
 */

/** Where and how a test's space is made (what `isolation.create` receives). */
export interface ServiceSpaceContext<C, O> {
  /** The service's URL (from its variable, or the fixture's `url` option). */
  readonly url: URL;
  /**
   * The space's name, unique to this run and process: `itkit-<run id>-<n>`.
   * Use it as (or in) everything the space is made of (a key prefix, a
   * marker, a database name): `isolation.remove` and `sweep.list` find the
   * space by it, and the run id in it tells a sweep whose it is.
   */
  readonly name: string;
  /** The declaration's options, after `isolation.options`. */
  readonly options: O;
  /** The process's connection to the service (`connect.open`'s). */
  readonly connection: C;
  /** Aborted when the test runs out of time. */
  readonly signal: AbortSignal;
}

/** What `isolation.remove` receives: the space to remove, by name. */
export interface ServiceRemoveContext<C, S = unknown> {
  /** The service's URL. */
  readonly url: URL;
  /** The space's name (`itkit-<run id>-<n>`). */
  readonly name: string;
  /** A connection to the service. */
  readonly connection: C;
  /**
   * What `create` returned, when the test process removes its own space (a
   * shortcut: the reaper and a sweep know the name only).
   */
  readonly space?: S;
}

/** What `isolation.reset` receives: the space a test is done with. */
export interface ServiceResetContext<C, S, O> {
  /** The service's URL. */
  readonly url: URL;
  /** The space's name (`itkit-<run id>-<n>`). */
  readonly name: string;
  /** The process's connection to the service. */
  readonly connection: C;
  /** What `create` returned. */
  readonly space: S;
  /** The declaration's options, after `isolation.options`. */
  readonly options: O;
}

/** What `lease` hooks receive. */
export interface ServiceLeaseContext<C> {
  /** The service's URL. */
  readonly url: URL;
  /** A connection to the service. */
  readonly connection: C;
  /** The run's id. */
  readonly runId: string;
  /** The lease's name: `itkit-<run id>-0` (no space has sequence 0). */
  readonly name: string;
  /**
   * How long the lease must count as alive after this `hold`, in ms
   * (`ITKIT_LEASE_TTL`); the reaper holds it again every third of that.
   */
  readonly ttl: number;
}

/** How the toolkit starts a throwaway server of the service. */
export interface ServiceStart {
  /**
   * The program (looked up on `PATH`; `deno` is the Deno that runs the
   * toolkit) and its first arguments. A program that is not there means
   * "not installed": `cli.ts run` starts nothing and says so, and the
   * service's tests are ignored with the reason.
   */
  command: readonly string[];
  /**
   * The rest of the arguments, for a server on 127.0.0.1 and `port`, with
   * `dir` (a fresh private directory, removed after) for its files.
   */
  args(context: { port: number; dir: string }): string[];
  /** The URL a client uses to reach it on `port`. */
  url(context: { port: number }): string;
  /**
   * How long it may take to answer its probe, in milliseconds.
   *
   * @default {15000}
   */
  startTimeout?: number;
  /**
   * How long it may take to end after SIGTERM before SIGKILL, in ms.
   *
   * @default {5000}
   */
  stopTimeout?: number;
}

/** How the toolkit connects to the service for its own work. */
export interface ServiceConnect<C> {
  /**
   * Opens a connection (a client). The toolkit opens one per process and
   * URL for the declared fixtures (at module load, outside every test), one
   * per standalone fixture, and one in the reaper and each sweep. It must not
   * leave the process with an unhandled error when the service goes away.
   */
  open(url: URL): Promise<C>;
  /** Closes it. */
  close(connection: C): Promise<void>;
}

/**
 * How each test gets a space of its own on the service.
 *
 * @typeParam S What a test's space gives the test.
 * @typeParam C The toolkit's connection to the service.
 * @typeParam O The options of a declaration, as users pass them.
 * @typeParam P The options after `options` (defaults filled in).
 */
export interface ServiceIsolation<S extends object, C, O, P = O> {
  /**
   * Checks a declaration's options and fills in defaults, synchronously
   * (throw a `TypeError` naming the option). They travel to nothing else:
   * `remove` finds a space by its name alone.
   *
   * @default {(options) => options ?? {}}
   */
  options?(options: O | undefined): P;
  /**
   * Makes the test's space named `context.name` and returns what the test
   * receives (a client, a key prefix, a URL for the code under test). The
   * toolkit adds `name` and `close`; a `close` of yours runs first, on
   * dispose (to close a client of the space's own).
   */
  create(context: ServiceSpaceContext<C, P>): S | Promise<S>;
  /**
   * Removes the space named `context.name`, and nothing the toolkit did
   * not create. It runs in the test process, in the reaper (after the test,
   * off its path, and after a crash) and in a sweep: it must work from the
   * name alone, and on a space that was never made or is gone already.
   *
   * @returns Whether there was something to remove.
   */
  remove(context: ServiceRemoveContext<C, S>): Promise<boolean>;
  /**
   * Remove each declared space in the test itself when it ends, instead of
   * handing its removal to the reaper: for a removal of a round trip or two,
   * which costs a test less than the hand-off (the reaper's work competes
   * with the tests for the CPU). The reaper then holds the run's spaces on
   * the service as one resource, registered at module load, and when the
   * process ends removes every space of the run that `sweep.list` finds
   * (what a killed or failing run left).
   *
   * @default {false}
   */
  removeInline?: boolean;
  /**
   * Empties a space a test is done with for the module's next test, instead
   * of removing it (a `FLUSHDB` instead of giving a logical database back
   * and claiming one again): a declared fixture then keeps its space from
   * test to test of its module (a worker under `deno test --parallel`, one
   * test at a time), and removes it (your `close` first) after the module's
   * last test; after a crash the reaper removes it with the run's other
   * spaces. Return `false` for a space that is not worth keeping (it is
   * removed; the next test makes its own). Only with `removeInline`, and
   * only on Deno versions with `Deno.test.afterAll`; standalone spaces are
   * always removed.
   *
   * @returns Whether the space was emptied and may be kept.
   */
  reset?(context: ServiceResetContext<C, S, P>): Promise<boolean> | boolean;
}

/** How a sweep and the leftover check find what runs left. */
export interface ServiceSweep<C> {
  /**
   * The names (`itkit-<run id>-<n>`) of the spaces on the service, every
   * one, whoever made it: the toolkit keeps the names of its own scheme,
   * reads the run and its age from them, and removes those of dead runs
   * with `isolation.remove`.
   */
  list(connection: C, url: URL): Promise<string[]>;
}

/**
 * A run's lease on the service, for a sweep on another host: held by the
 * reaper from before the run's first space there until after its last.
 * Without one, a sweep protects a run by its processes on this machine and
 * by the age of what it made.
 */
export interface ServiceLease<C> {
  /** Takes or renews the lease `context.name` for `context.ttl` ms. */
  hold(context: ServiceLeaseContext<C>): Promise<void>;
  /** Lets it go. */
  release(context: ServiceLeaseContext<C>): Promise<void>;
  /**
   * Which of `runIds` hold a lease on the service now.
   *
   * @returns The live ones.
   */
  alive(
    connection: C,
    url: URL,
    runIds: readonly string[],
  ): Promise<Set<string>>;
}

/**
 * A service, as {@linkcode defineService} takes it.
 *
 * @typeParam S What a test's space gives the test.
 * @typeParam C The toolkit's connection to the service.
 * @typeParam O The options of a declaration, as users pass them.
 * @typeParam P The options after `isolation.options`.
 */
export interface ServiceDefinition<
  S extends object,
  C = undefined,
  O extends object = Record<never, never>,
  P = O,
> {
  /**
   * The service's name, in messages, reasons, the run summary and the
   * reaper's log: lowercase letters, digits and hyphens (`redis`).
   */
  name: string;
  /**
   * The URL of the module that exports this service (`import.meta.url`):
   * the reaper and a sweep import it to remove spaces, and find the service
   * among its exports by `name`. They run outside your project's import
   * map: the module (and what it imports) must use full specifiers
   * (`npm:redis@^5`, `jsr:@itkit/core/service`) or relative paths.
   */
  module: string;
  /** The variable that holds the service's URL (`REDIS_URL`). */
  env: string;
  /**
   * The URL schemes the service takes, with their colon (`["redis:"]`).
   *
   * @default {any}
   */
  protocols?: readonly string[];
  /**
   * The port of a URL that names none.
   *
   * @default {undefined} (a URL must name its port)
   */
  defaultPort?: number;
  /**
   * Checks the service is usable, within the probe's budget: return nothing
   * when it is, or a reason (`"NOAUTH Authentication required."`); a throw
   * is a reason too. Loading a client library belongs outside (module load).
   *
   * @default {a TCP connection to the URL's host and port}
   */
  probe?(url: URL, signal: AbortSignal): Promise<string | void>;
  /** How to start a throwaway server (for `cli.ts run` and `start()`). */
  start?: ServiceStart;
  /**
   * How the toolkit connects for its own work.
   *
   * @default {no connection: the hooks receive `undefined`}
   */
  connect?: ServiceConnect<C>;
  /** How each test gets a space of its own. */
  isolation: ServiceIsolation<S, C, O, P>;
  /** How a sweep and the leftover check find spaces. */
  sweep: ServiceSweep<C>;
  /**
   * A run's lease on the service, for sweeps on other hosts.
   *
   * @default {none}
   */
  lease?: ServiceLease<C>;
  /**
   * The permissions a test needs to use the service through a space (and
   * code under test to use it with its own client): `net` to it, the
   * variables and files the client reads.
   *
   * @default {(url) => ({ net: [url's host:port] })}
   */
  clientPermissions?(url: URL): Deno.PermissionOptions;
}
