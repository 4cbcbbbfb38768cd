// Internal: the socket of every connection the toolkit opens to PostgreSQL
// (postgres.js's `socket` option). It is handed over while it connects, as
// postgres.js does with its own; it carries the server's host and port, which
// postgres.js names in its errors ("write CONNECT_TIMEOUT host:port"); a
// server that answers "no" to TLS when the sslmode requires it is one clear
// error; and every socket to a server (but the run's lease's) can be closed at
// once when the server stops answering (see _grace.ts).

import net from "node:net";
import type { PostgresConfig } from "./config.ts";

/** Open sockets, by server (`host:port`). */
const open = new Map<string, Set<net.Socket>>();

/** Servers cut off: a new socket to one fails at once with its error. */
const cut = new Map<string, Error>();

/** `host:port` of `config`'s server (`[::1]:5432` for IPv6). */
export function serverAddress(config: PostgresConfig): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `${host}:${config.port}`;
}

/**
 * A socket to the server, handed to postgres.js while it still connects, as
 * postgres.js does with its own: a refused connection reaches it as `error`
 * then `close`, which fail the waiting query and put the connection back in
 * its pool. Writes made before it connects are sent once it has.
 */
export function connectingSocket(config: PostgresConfig): net.Socket {
  return socketTo(config, true);
}

/**
 * A socket to the server for a lease's connection (_lease.ts): as
 * {@linkcode connectingSocket}, but never cut off. A lease is the run's sign
 * of life: a server that stopped answering a test's queries still holds it
 * while it runs, and once it answers again the lease is there.
 */
export function leaseSocket(config: PostgresConfig): net.Socket {
  return socketTo(config, false);
}

function socketTo(config: PostgresConfig, cuttable: boolean): net.Socket {
  const address = serverAddress(config);
  const refused = cuttable ? cut.get(address) : undefined;
  const s = refused ? new net.Socket() : net.connect({
    host: config.host,
    port: config.port,
  });
  // What postgres.js's own sockets carry, and its errors name.
  Object.assign(s, { host: config.host, port: config.port });
  if (refused) {
    // After postgres.js listens: it sees a refused connection.
    setTimeout(() => s.destroy(refused), 0);
    return s;
  }
  // Until postgres.js listens (after a microtask), an early error is not
  // thrown: postgres.js sees it through `close`.
  const early = () => {};
  s.once("error", early);
  s.once("connect", () => s.off("error", early));
  if (cuttable) {
    let sockets = open.get(address);
    if (!sockets) open.set(address, sockets = new Set());
    sockets.add(s);
    s.once("close", () => {
      sockets.delete(s);
      if (sockets.size === 0 && open.get(address) === sockets) {
        open.delete(address);
      }
    });
  }
  const mode = config.sslmode;
  if (mode === "require" || mode === "verify-ca" || mode === "verify-full") {
    refuseWithoutTls(s, address, mode);
  }
  // Without it, a TLS connection's startup stalls on Nagle's algorithm and
  // the server's delayed ACK (postgres.js sets it on its own sockets once
  // they have connected; this one is handed over before).
  s.setNoDelay(true);
  return s;
}

/**
 * Makes the server's "no" to postgres.js's SSLRequest (its first byte, `N`)
 * an error naming the server and the sslmode (postgres.js 4.2 says "The
 * server does not support SSL connections", naming neither).
 */
function refuseWithoutTls(
  s: net.Socket,
  address: string,
  mode: string,
): void {
  const emit = s.emit as (event: string, ...args: unknown[]) => boolean;
  s.emit = function (
    this: net.Socket,
    event: string,
    ...args: unknown[]
  ): boolean {
    if (event === "data") {
      s.emit = emit as typeof s.emit; // only the first answer is the SSLRequest's
      const chunk = args[0] as Uint8Array;
      if (chunk[0] === 0x4e) {
        // Not handed on: postgres.js sees an error, then the close. With a
        // `code`, postgres.js 4 fails the connection with it (else with
        // its CONNECTION_CLOSED): its own code for this case.
        s.destroy(
          Object.assign(
            new Error(
              `Cannot connect to PostgreSQL at ${address}: the server does not accept TLS connections (sslmode=${mode}; sslmode=prefer or disable connects without TLS)`,
            ),
            { code: "SSL_NOT_SUPPORTED" },
          ),
        );
        return true;
      }
    }
    return emit.call(this, event, ...args);
  } as typeof s.emit;
}

/**
 * Closes every socket of this process to `config`'s server (but its lease's),
 * and makes new ones fail at once with `error` until the returned function is called:
 * what waits on the server fails (postgres.js rejects a connection's queries
 * with `CONNECTION_CLOSED` when its socket closes without an error; with
 * one, a query sent between the error and the close would wait forever).
 *
 * @returns Lifts the cut: new sockets connect again.
 */
export function cutOff(config: PostgresConfig, error: Error): () => void {
  const address = serverAddress(config);
  cut.set(address, error);
  for (const s of open.get(address) ?? []) s.destroy();
  return () => {
    if (cut.get(address) === error) cut.delete(address);
  };
}
