// Internal: a service's default probe, a TCP connection to its URL's host and
// port.

import { connectReason } from "../core/_probe.ts";

/**
 * Connects to `url`'s host and port and closes the connection.
 *
 * @param url The service's URL (its port, or `defaultPort`).
 * @param signal Aborts the connection.
 * @param defaultPort The port of a URL that names none.
 * @returns Nothing when it connects, else why not.
 */
export async function tcpCheck(
  url: URL,
  signal: AbortSignal,
  defaultPort?: number,
): Promise<string | void> {
  const port = Number(url.port || defaultPort);
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  try {
    const conn = await Deno.connect({ hostname, port, signal });
    conn.close();
  } catch (error) {
    return connectReason(error, `${url.hostname}:${port}`);
  }
}
