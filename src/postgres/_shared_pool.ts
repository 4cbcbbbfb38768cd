// Internal: one postgres.js pool per server configuration per process, shared
// by every test of the process (opened once, warm from the top-level probe).
//
// The pool's sockets do not keep the process alive while no fixture holds the
// pool, so a finished process exits without closing it (the server sees the
// connections go); while a test (or the probe, or a migration) holds it, they
// do, so a query awaited at the top level of `deno run` is not abandoned.
// Once a test module declares a database fixture they stay referenced:
// `deno test` ends a module whatever it leaves open, and referencing and
// unreferencing a socket around every test cost Deno's event loop about
// 0.2 ms per test (measured: V8 "(program)" time, 1,000 tests).

import type postgres from "npm:postgres@^4.2.0";
import type net from "node:net";
import { type PostgresConfig, postgresUrl } from "./config.ts";
import { postgresOptions } from "./client.ts";
import { connectingSocket } from "./_socket.ts";
import { RUN_ID } from "../run/naming.ts";

/** A postgres.js client. */
export type Pg = postgres.Sql<Record<string, unknown>>;

/** How many connections a shared pool opens at most. */
export const POOL_SIZE = 4;

/**
 * The schema that schema-isolated tests of this process use, one at a time:
 * the whole search path of every pooled connection from its startup, so that
 * every connection of the pool lands in the test's schema, and an unqualified
 * name resolves to nothing else of the database (`pg_catalog` and the
 * connection's own temporary objects aside, as in every search path).
 */
export const SCHEMA_SLOT = `itkit_${RUN_ID}_0`;

/** The `application_name` of this process's pooled connections. */
export const APPLICATION_NAME = `itkit ${RUN_ID}`;

/** A process-wide pool. */
export interface SharedPool {
  /** The pool. */
  readonly sql: Pg;
  /** Keeps the process alive until the returned function is called. */
  hold(): () => void;
  /** References its sockets for good (see {@linkcode pinSharedPools}). */
  pin(): void;
  /**
   * A connection of the pool for the caller alone (`sql.reserve()`): when
   * the pool has none connected, after a plain query, which fails cleanly if
   * the server is down. (postgres.js keeps a reserve waiting through a
   * connection that closed as it connected, a `CONNECTION_CLOSED` it counts
   * as transient, and connects again for it: after the test that failed. A
   * plain query fails instead: 4.2's src/pool.js, `attempted`.)
   */
  reserve(): Promise<postgres.ReservedSql<Record<string, unknown>>>;
  /** The pool's socket whose local port is `port` (to watch it close). */
  socketAt(port: number): net.Socket | undefined;
  /**
   * Destroys the pool's sockets and resolves once each has closed: only then
   * has postgres.js cancelled their connect timers (a connection the server
   * refused, e.g. bad credentials, keeps its timer until its socket closes).
   */
  destroySockets(): Promise<void>;
}

const pools = new Map<string, SharedPool>();
/** Each pool's server (`host:port`). */
const servers = new WeakMap<SharedPool, string>();

function serverOf(config: PostgresConfig): string {
  return `${config.host}:${config.port}`;
}

/** Whether the pools' sockets stay referenced (a test module). */
let pinned = false;

/**
 * Keeps every pool's sockets referenced from now on, held or not: called
 * where a test module declares a database fixture (`deno test` ends the
 * module whatever it leaves open, so nothing has to let go between tests).
 */
export function pinSharedPools(): void {
  if (pinned) return;
  pinned = true;
  for (const pool of pools.values()) pool.pin();
}

/**
 * The pool for `config` (opened on first use: postgres.js connects lazily).
 * Connections start with {@linkcode SCHEMA_SLOT} as their whole search path,
 * unless `slot` is false (a database of the process's own: its default) or
 * names another schema of the process's (a pool of its own for that schema).
 */
export function sharedPool(
  factory: typeof postgres,
  config: PostgresConfig,
  slot: boolean | string = true,
): SharedPool {
  const searchPath = slot === true ? SCHEMA_SLOT : slot || undefined;
  const key = `${postgresUrl(config, true)}${
    typeof slot === "string" ? `\n${slot}` : ""
  }`;
  let pool = pools.get(key);
  if (pool) return pool;
  const sockets = new Set<net.Socket>();
  let holds = 0;
  const socket = (): Promise<net.Socket> => {
    const s = connectingSocket(config);
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    // Referenced while it connects: a query waiting for it is not abandoned.
    s.once("connect", () => {
      if (holds === 0 && !pinned) s.unref();
    });
    return Promise.resolve(s);
  };
  const sql = factory({
    ...postgresOptions(config, {
      max: POOL_SIZE,
      connection: {
        application_name: APPLICATION_NAME,
        ...(searchPath ? { search_path: searchPath } : {}),
      },
    }),
    socket,
  } as postgres.Options<Record<string, postgres.PostgresType>>) as Pg;
  pool = {
    sql,
    hold(): () => void {
      if (holds++ === 0 && !pinned) { for (const s of sockets) s.ref(); }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (--holds === 0 && !pinned) {
          // One still connecting is unref'd once connected.
          for (const s of sockets) if (!s.connecting) s.unref();
        }
      };
    },
    pin(): void {
      for (const s of sockets) s.ref();
    },
    async reserve(): Promise<postgres.ReservedSql<Record<string, unknown>>> {
      if (![...sockets].some((s) => !s.connecting)) await sql`select 1`;
      return await sql.reserve();
    },
    socketAt(port: number): net.Socket | undefined {
      for (const s of sockets) if (s.localPort === port) return s;
      return undefined;
    },
    async destroySockets(): Promise<void> {
      await Promise.all(
        [...sockets].map((s) =>
          new Promise<void>((resolve) => {
            s.once("close", () => resolve());
            s.destroy();
          })
        ),
      );
    },
  };
  pools.set(key, pool);
  servers.set(pool, serverOf(config));
  return pool;
}

/**
 * Resolves once no shared pool of `config`'s server has a connection opening,
 * a query waiting or running (but on a connection a test holds), or after
 * `ms`: for what a setup given up on ran on them once it finished, late (a
 * cancel, a reset, and the connection postgres.js opens for the second of
 * them, whose connect timer runs until it is ready), so that it is over
 * before the next test goes on.
 *
 * @param config The server.
 * @param ms The most to wait.
 */
export async function sharedPoolsSettled(
  config: PostgresConfig,
  ms: number,
): Promise<void> {
  const server = serverOf(config);
  const busy = (): boolean =>
    [...pools.values()].some((pool) => {
      if (servers.get(pool) !== server) return false;
      const stats = (pool.sql as unknown as { stats?: PoolStats }).stats;
      return stats !== undefined &&
        (stats.opening > 0 || stats.waiting > 0 ||
          stats.connections - stats.idle - stats.leased > 0);
    });
  const until = Date.now() + ms;
  while (busy() && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What postgres.js 4.2 says of its pool (`sql.stats`). */
interface PoolStats {
  connections: number;
  opening: number;
  idle: number;
  leased: number;
  waiting: number;
}

/**
 * Forgets (and closes) the pool for `config`, e.g. after a failed probe.
 * Resolves once its sockets have closed, so that no postgres.js timer of the
 * pool outlives the call (a probe at module load would otherwise leave one to
 * end in the first test, which the op sanitizer reports as a leak).
 */
export async function discardSharedPool(config: PostgresConfig): Promise<void> {
  const key = postgresUrl(config, true);
  const pool = pools.get(key);
  if (!pool) return;
  pools.delete(key);
  await pool.sql.end({ timeout: 0 }).catch(() => {});
  await pool.destroySockets();
}
