/**
 * Your own service, with everything the toolkit guarantees for PostgreSQL and
 * S3: a probe with reasons (and require mode), a space per test removed off
 * the test's path and by the reaper after a crash, least-privilege
 * permissions, throwaway servers for `cli.ts run`, the sweep, the leftover
 * check and the run summary.
 *
 * @module
 */

import {
  defineFixture,
  type FixtureContext,
  type FixtureFactory,
} from "../core/fixture.ts";
import type { ProbeOptions, ProbeResult } from "../core/probe.ts";
import {
  cachedProbe,
  checkProbeOptions,
  connectReason,
  runProbe,
} from "../core/_probe.ts";
import { mergePermissions } from "../core/permissions.ts";
import { leaseWait, requestLease } from "../run/lease.ts";
import { leaseBucket, RUN_ID, uniqueName } from "../run/naming.ts";
import {
  forget,
  handOff,
  reaperRunning,
  register,
  startReaper,
} from "../run/reaper.ts";
import { leaseTtl } from "../run/settings.ts";
import { readEnv } from "../util/env.ts";
import { describe, fingerprint, maskUrl } from "../util/text.ts";
import type { ServiceDefinition } from "./definition.ts";
import { DEFINITION } from "./registry.ts";
import { tcpCheck } from "./_tcp_check.ts";
import type { ReapedSpace, ServiceLeaseResource } from "./_reap.ts";
import type { ReapedRun } from "./_run_reap.ts";
import type { ServiceServer, ServiceStartOptions } from "./launch.ts";
import { startServer } from "./_launch.ts";

/** What the toolkit adds to a test's space. */
export interface ServiceSpaceHandle extends AsyncDisposable {
  /** The space's name, `itkit-<run id>-<n>`. */
  readonly name: string;
  /**
   * Runs the space's own `close`, then removes the space (handed to the
   * reaper, off the test's path, when declared). Idempotent.
   */
  close(): Promise<void>;
}

/** A test's space on a service: what `isolation.create` returned, and more. */
export type ServiceSpace<S extends object> = S & ServiceSpaceHandle;

/** Options of a service's fixture: the service's own, and where it is. */
export type ServiceFixtureOptions<O extends object> = O & {
  /**
   * The service's URL.
   *
   * @default {the service's variable (e.g. REDIS_URL)}
   */
  url?: string | URL;
};

/** Options of a service's `probe`. */
export interface ServiceProbeOptions extends ProbeOptions {
  /**
   * The URL to probe.
   *
   * @default {the service's variable (e.g. REDIS_URL)}
   */
  url?: string | URL;
}

/**
 * A service: a fixture factory for a test's space on it (standalone, or
 * declared with `.fixture()`), and its probe, URL, server and permissions.
 *
 * @typeParam S What a test's space gives the test.
 * @typeParam O The options of a declaration.
 */
export interface Service<
  S extends object,
  O extends object = Record<never, never>,
> extends FixtureFactory<ServiceFixtureOptions<O>, ServiceSpace<S>> {
  /** The variable that holds the service's URL. */
  readonly env: string;
  /**
   * The service's URL, from its variable.
   *
   * @param env Where to read the variable.
   * @returns It, or `undefined` when the variable is not set.
   * @throws {TypeError} When it is not a URL the service takes.
   */
  url(env?: Record<string, string | undefined>): URL | undefined;
  /**
   * Probes the service (cached per URL): ignores its tests with the reason
   * when it is down or its variable is not set (fails them in require mode).
   * Await it at the top level and pass it in `requires`.
   *
   * @param options The URL, timeout and signal.
   * @returns The result.
   */
  probe(options?: ServiceProbeOptions): Promise<ProbeResult>;
  /**
   * Starts a throwaway server from the definition's `start`, on 127.0.0.1
   * and a free port; stopped on dispose, and by the reaper if this process
   * dies. Call it at module load, where the process may still run programs.
   *
   * @param options Whether the reaper stops it.
   * @returns The server (`env` points at it).
   */
  start(options?: ServiceStartOptions): Promise<ServiceServer>;
  /**
   * What a test needs to use the service through a space, or with a client
   * of its own (code under test): for the test's `permissions`.
   *
   * @param url The service's URL; its variable's by default.
   * @returns The permissions.
   */
  clientPermissions(url?: string | URL): Deno.PermissionOptions;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How the reaper removes a space and holds a lease. */
const SPACE_REMOVER = new URL("./_reap.ts", import.meta.url).href;
const RUN_REMOVER = new URL("./_run_reap.ts", import.meta.url).href;
const LEASE_HOLDER = new URL("./_lease_reap.ts", import.meta.url).href;

interface Prepared<P> {
  options: P;
  url: URL | undefined;
  declared: boolean;
}

/**
 * Defines a service of your own (any server your code talks to), built from
 * public parts, with what the toolkit guarantees for its own services: a
 * probe with reasons, a space per test (removed by the reaper, off the
 * test's path and after a crash), throwaway servers for `cli.ts run
 * --service <module>`, the sweep and the leftover check. The Redis service
 * (`@itkit/core/redis`) is built this way.
 *
 * @param definition The service.
 * @returns The service: its fixture factory, probe, URL and server.
 * @throws {TypeError} For a malformed definition.
 *
 * @example A key-value server whose spaces are key prefixes
 * ```ts ignore
 * import { defineService } from "../../service.ts";
 *
 * interface Kv { url: URL; prefix: string }
 *
 * export const kv = defineService<{ prefix: string }, Kv>({
 *   name: "kv",
 *   module: import.meta.url,
 *   env: "KV_URL",
 *   protocols: ["http:"],
 *   start: {
 *     command: ["kv-server"],
 *     args: ({ port, dir }) => ["--port", String(port), "--data", dir],
 *     url: ({ port }) => `http://127.0.0.1:${port}`,
 *   },
 *   connect: {
 *     open: (url) => Promise.resolve({ url, prefix: "" }),
 *     close: () => Promise.resolve(),
 *   },
 *   isolation: {
 *     create: ({ name }) => ({ prefix: `${name}/` }),
 *     remove: async ({ url, name }) =>
 *       (await fetch(new URL(`/prefix/${name}`, url), { method: "DELETE" })).ok,
 *   },
 *   sweep: {
 *     list: async (_kv, url) => await (await fetch(new URL("/prefixes", url))).json(),
 *   },
 * });
 * ```
 */
export function defineService<
  S extends object,
  C = undefined,
  O extends object = Record<never, never>,
  P = O,
>(definition: ServiceDefinition<S, C, O, P>): Service<S, O> {
  const def = checkDefinition(definition);
  const where = `Cannot use ${def.name}`;
  const parse = (value: string | URL, from: string): URL =>
    parseServiceUrl(def, value, from);
  const urlFrom = (env?: Record<string, string | undefined>) => {
    const value = env ? env[def.env] : readEnv(def.env);
    return value ? parse(value, def.env) : undefined;
  };
  const check = async (
    url: URL,
    signal: AbortSignal,
  ): Promise<string | void> => {
    if (!def.probe) return await tcpCheck(url, signal, def.defaultPort);
    try {
      return await def.probe(url, signal);
    } catch (error) {
      // A client's "fetch failed" says less than its cause.
      return failureReason(error, hostPort(def, url));
    }
  };
  // Its variable too: a standalone space, or code under test, reads it.
  const permissionsFor = (url: URL | undefined): Deno.PermissionOptions =>
    url === undefined ? { env: [def.env] } : mergePermissions([
      { env: [def.env] },
      def.clientPermissions?.(url) ?? { net: [hostPort(def, url)] },
    ]);

  const factory = defineFixture<
    ServiceFixtureOptions<O>,
    ServiceSpace<S>,
    Record<string, unknown>,
    Prepared<P>
  >({
    name: def.name,
    prepare(options, mode): Prepared<P> {
      const { url: given, ...rest } = (options ?? {}) as ServiceFixtureOptions<
        O
      >;
      const own = def.isolation.options
        ? def.isolation.options(
          options === undefined ? undefined : rest as unknown as O,
        )
        : rest as unknown as P;
      const url = given === undefined ? urlFrom() : parse(given, "url");
      const declared = mode === "declared";
      if (declared && url !== undefined) {
        startReaper(); // reaper: at module load, while we may spawn
        // The process's connection, opened now, outside every test.
        sharedConnection(def, url);
        // lease: the run's, before any of its spaces (see run/lease.ts)
        if (def.lease && reaperRunning()) {
          leaseTtl(); // a malformed ITKIT_LEASE_TTL fails here
          requestLease(leaseStore(def, url), leaseResource(def, url));
        }
        // reaper: spaces removed inline are the reaper's as a whole
        if (def.isolation.removeInline) runRegistration(def, url);
        if (def.isolation.reset) keepUntilModuleEnds();
      }
      return { options: own, url, declared };
    },
    permissions: (prepared) => permissionsFor(prepared.url),
    async setup(
      prepared,
      context: FixtureContext,
    ): Promise<ServiceSpace<S>> {
      const url = prepared.url;
      const fixtureWhere =
        `Cannot set up ${def.name} fixture "${context.name}"`;
      if (url === undefined) {
        throw new Error(
          `${fixtureWhere}: ${def.env} is not set (pass \`requires: [await ${def.name}.probe()]\` to ignore the test when it is not)`,
        );
      }
      const shown = maskUrl(url.href);
      const keepKey = def.isolation.reset && prepared.declared && keeping
        ? `${def.name} ${url.href} ${JSON.stringify(prepared.options)}`
        : undefined;
      const free = keepKey === undefined ? undefined : kept.get(keepKey)?.pop();
      if (free !== undefined) return free.use() as ServiceSpace<S>;
      if (prepared.declared && def.lease && reaperRunning()) {
        const leased = leaseWait(
          leaseStore(def, url),
          leaseResource(def, url),
        );
        if (leased) await leased;
      }
      let connection: C;
      try {
        connection = prepared.declared
          ? await sharedConnection(def, url)
          : await open(def, url);
      } catch (error) {
        throw new Error(
          `${fixtureWhere}: cannot connect to ${shown}: ${describe(error)}`,
          { cause: error },
        );
      }
      const name = uniqueName("itkit", "-");
      // --- reaper: register before create (the run's spaces at once, at
      // module load, when they are removed inline)
      const byRun = prepared.declared && def.isolation.removeInline === true &&
        await runRegistration(def, url) !== undefined;
      const reaped = byRun ? undefined : await register(
        {
          remover: SPACE_REMOVER,
          what: `${def.name} ${name} at ${shown}`,
          module: def.module,
          service: def.name,
          url: url.href,
          name,
        } satisfies ReapedSpace,
      );
      // --- end reaper
      let value: S | undefined;
      const release = async (): Promise<void> => {
        // --- reaper: hand off instead of remove (declared: nobody waits)
        if (
          reaped !== undefined && prepared.declared && await handOff(reaped)
        ) {
          return;
        }
        // --- end reaper
        try {
          await def.isolation.remove({
            url,
            name,
            connection,
            ...(value === undefined ? {} : { space: value }),
          });
        } finally {
          if (!prepared.declared) await close(def, connection);
        }
        if (reaped !== undefined) await forget(reaped);
      };
      try {
        value = await def.isolation.create({
          url,
          name,
          options: prepared.options,
          connection,
          signal: context.signal,
        });
      } catch (error) {
        await release().catch(() => {});
        throw new Error(
          `${fixtureWhere}: cannot make space ${name} at ${shown}: ${
            describe(error)
          }`,
          { cause: error },
        );
      }
      const space = value;
      const own = (space as { close?: () => unknown }).close;
      const remove = async (): Promise<void> => {
        try {
          if (typeof own === "function") await own.call(space);
        } finally {
          await release();
        }
      };
      const reset = keepKey === undefined ? undefined : def.isolation.reset;
      const entry: Kept = { use: () => use(), remove };
      // One use of the space by a test: its dispose empties it for the
      // module's next test (kept), else removes it.
      const use = (): ServiceSpace<S> => {
        let closing: Promise<void> | undefined;
        const dispose = (): Promise<void> =>
          closing ??= (async () => {
            let failure: { error: unknown } | undefined;
            if (reset !== undefined && keeping) {
              try {
                const emptied = await reset({
                  url,
                  name,
                  connection,
                  space,
                  options: prepared.options,
                });
                // (Not once the module's end has taken the kept ones.)
                if (emptied === true && keeping) {
                  keptList(keepKey!).push(entry);
                  return;
                }
              } catch (error) {
                failure = { error };
              }
            }
            await remove();
            if (failure !== undefined) throw failure.error;
          })();
        return Object.assign(space, {
          name,
          close: dispose,
          [Symbol.asyncDispose]: dispose,
        }) as ServiceSpace<S>;
      };
      return use();
    },
  });

  const service = Object.assign(factory, {
    env: def.env,
    url: (env?: Record<string, string | undefined>): URL | undefined =>
      urlFrom(env),
    probe(options: ServiceProbeOptions = {}): Promise<ProbeResult> {
      const url = options.url === undefined
        ? urlFrom()
        : parse(options.url, "url");
      if (url === undefined) {
        checkProbeOptions(def.name, options);
        return cachedProbe(
          `${def.name} unset ${def.env}`,
          () =>
            Promise.resolve({
              ok: false,
              name: def.name,
              target: def.env,
              reason: "not set",
              durationMs: 0,
            }),
        );
      }
      const target = maskUrl(url.href);
      checkProbeOptions(`${def.name} ${target}`, options);
      return cachedProbe(
        `${def.name} ${target} ${fingerprint(url.href)}`,
        () =>
          runProbe(def.name, target, (signal) => check(url, signal), options),
        `${def.name} ${target}`,
      );
    },
    start(options?: ServiceStartOptions): Promise<ServiceServer> {
      if (!def.start) {
        return Promise.reject(
          new TypeError(
            `${where}: its definition has no \`start\` (how to start a server)`,
          ),
        );
      }
      return startServer(def.name, def.env, def.start, check, options);
    },
    clientPermissions(url?: string | URL): Deno.PermissionOptions {
      return permissionsFor(url === undefined ? urlFrom() : parse(url, "url"));
    },
    [DEFINITION]: def,
  });
  return service as unknown as Service<S, O>;
}

/** Checks a definition's shape; the definition, typed for internal use. */
function checkDefinition<S extends object, C, O extends object, P>(
  definition: ServiceDefinition<S, C, O, P>,
): ServiceDefinition<S, C, O, P> {
  const name = definition?.name;
  if (typeof name !== "string" || !SERVICE_NAME.test(name)) {
    throw new TypeError(
      `Cannot define service: name ${
        JSON.stringify(name)
      } is not a service name (expected 1-31 lowercase letters, digits and hyphens, starting with a letter)`,
    );
  }
  const where = `Cannot define service "${name}"`;
  if (
    typeof definition.module !== "string" || !URL.canParse(definition.module)
  ) {
    throw new TypeError(
      `${where}: module must be the URL of the module that exports it (import.meta.url), got ${
        JSON.stringify(definition.module)
      }`,
    );
  }
  if (typeof definition.env !== "string" || !VARIABLE.test(definition.env)) {
    throw new TypeError(
      `${where}: env ${
        JSON.stringify(definition.env)
      } is not a variable name (expected letters, digits and _)`,
    );
  }
  for (
    const [path, value] of [
      ["isolation.create", definition.isolation?.create],
      ["isolation.remove", definition.isolation?.remove],
      ["sweep.list", definition.sweep?.list],
    ] as const
  ) {
    if (typeof value !== "function") {
      throw new TypeError(`${where}: ${path} must be a function`);
    }
  }
  const reset = definition.isolation.reset;
  if (reset !== undefined && typeof reset !== "function") {
    throw new TypeError(`${where}: isolation.reset must be a function`);
  }
  if (reset !== undefined && definition.isolation.removeInline !== true) {
    throw new TypeError(
      `${where}: isolation.reset needs isolation.removeInline (a kept space is removed by the test process, and after a crash by the reaper with the run's spaces)`,
    );
  }
  const start = definition.start;
  if (
    start !== undefined &&
    (!Array.isArray(start.command) || start.command.length === 0 ||
      typeof start.args !== "function" || typeof start.url !== "function")
  ) {
    throw new TypeError(
      `${where}: start must have command (the program and its first arguments), args({ port, dir }) and url({ port })`,
    );
  }
  return definition;
}

/** A URL the service takes, from a variable or an option. */
function parseServiceUrl<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  value: string | URL,
  from: string,
): URL {
  const example = `${def.protocols?.[0] ?? "scheme:"}//host${
    def.defaultPort === undefined ? ":port" : "[:port]"
  }`;
  const where = `Cannot use ${def.name}: ${from} ${
    JSON.stringify(maskUrl(String(value)))
  }`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${where} is not a URL (expected ${example})`);
  }
  if (def.protocols && !def.protocols.includes(url.protocol)) {
    throw new TypeError(
      `${where} is not a ${def.name} URL (expected ${
        def.protocols.map((p) => `${p}//`).join(" or ")
      }host${def.defaultPort === undefined ? ":port" : "[:port]"})`,
    );
  }
  if (url.hostname === "") {
    throw new TypeError(`${where} names no host (expected ${example})`);
  }
  if (url.port === "" && def.defaultPort === undefined) {
    throw new TypeError(`${where} names no port (expected ${example})`);
  }
  return url;
}

/** Why a probe threw: a connection failure named as such, else its message. */
function failureReason(error: unknown, target: string): string {
  const cause = (error as { cause?: unknown })?.cause;
  for (const candidate of [error, cause]) {
    if (
      candidate instanceof Deno.errors.ConnectionRefused ||
      candidate instanceof Deno.errors.ConnectionReset ||
      candidate instanceof Deno.errors.TimedOut ||
      candidate instanceof Deno.errors.NotCapable
    ) {
      return connectReason(candidate, target);
    }
  }
  const text = cause === undefined
    ? describe(error)
    : `${describe(error)}: ${describe(cause)}`;
  // fetch's TypeError carries the OS error as text only.
  return /refused/i.test(text) ? `connection refused ${target}` : text;
}

/** `host:port` of a service URL. */
function hostPort<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): string {
  return `${url.hostname}:${url.port || def.defaultPort}`;
}

function open<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): Promise<C> {
  return def.connect ? def.connect.open(url) : Promise.resolve(undefined as C);
}

async function close<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  connection: C,
): Promise<void> {
  await def.connect?.close(connection);
}

/** A space kept for the module's next test (`isolation.reset`). */
interface Kept {
  /** Hands it to a test. */
  use(): unknown;
  /** Removes it (its `close` first). */
  remove(): Promise<void>;
}

/** The kept spaces no test uses now, by service, URL and options. */
const kept = new Map<string, Kept[]>();

function keptList(key: string): Kept[] {
  let list = kept.get(key);
  if (list === undefined) kept.set(key, list = []);
  return list;
}

/**
 * Whether spaces are kept from test to test: from the first declaration of a
 * service with `isolation.reset` (where Deno has `afterAll`) until the
 * module's last test has ended.
 */
let keeping = false;
let keepHooked = false;

/**
 * Keeps spaces until the module's last test has ended (Deno's `afterAll`
 * hook), then removes them: a failure there fails the module.
 */
function keepUntilModuleEnds(): void {
  if (keepHooked) return;
  keepHooked = true;
  const hooks = Deno.test as Partial<typeof Deno.test>;
  if (typeof hooks.afterAll !== "function") return;
  keeping = true;
  hooks.afterAll(async () => {
    keeping = false;
    const spaces = [...kept.values()].flat();
    kept.clear();
    const failures: unknown[] = [];
    for (const space of spaces) {
      try {
        await space.remove();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, "removing the module's kept spaces");
    }
  });
}

/** The reaper ids of the runs' spaces removed inline, by service and URL. */
const runs = new Map<string, Promise<number | undefined>>();

/**
 * Registers, once per service and URL (at module load), this run's spaces
 * there as one resource: the reaper removes every one `sweep.list` finds
 * when the process ends, for a service whose spaces are removed inline.
 *
 * @returns The reaper's id, or `undefined` without a reaper.
 */
function runRegistration<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): Promise<number | undefined> {
  const key = `${def.name} ${url.href}`;
  let id = runs.get(key);
  if (!id) {
    id = register(
      {
        remover: RUN_REMOVER,
        what: `${def.name} spaces of run ${RUN_ID} at ${maskUrl(url.href)}`,
        module: def.module,
        service: def.name,
        url: url.href,
        runId: RUN_ID,
      } satisfies ReapedRun,
    );
    runs.set(key, id);
  }
  return id;
}

/** The process's connections for declared fixtures, by service and URL. */
const shared = new Map<string, Promise<unknown>>();
let hooked = false;

/**
 * The process's connection to a service for its declared fixtures, opened
 * once, at module load; `deno test` waits for it in its `beforeAll` hook, so
 * that no test's sanitizers see it open. Kept for the process's life.
 */
function sharedConnection<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): Promise<C> {
  const key = `${def.name} ${url.href}`;
  let connection = shared.get(key) as Promise<C> | undefined;
  if (!connection) {
    connection = open(def, url);
    connection.catch(() => {}); // a setup reports it
    shared.set(key, connection);
    if (!hooked) {
      hooked = true;
      const hooks = Deno.test as Partial<typeof Deno.test>;
      hooks.beforeAll?.(async () => {
        await Promise.allSettled([...shared.values()]);
      });
    }
  }
  return connection;
}

function leaseStore<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): string {
  return `service ${def.name} ${url.href}`;
}

function leaseResource<S extends object, C, O extends object, P>(
  def: ServiceDefinition<S, C, O, P>,
  url: URL,
): () => ServiceLeaseResource {
  return (): ServiceLeaseResource => ({
    remover: LEASE_HOLDER,
    what: `lease of run ${RUN_ID} on ${def.name} ${maskUrl(url.href)} (${
      leaseBucket(RUN_ID)
    })`,
    module: def.module,
    service: def.name,
    url: url.href,
    runId: RUN_ID,
  });
}
