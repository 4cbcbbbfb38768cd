// Internal: the Redis service's probe check: AUTH (when the URL has
// credentials), SELECT (when it names a database) and PING over a plain
// connection, with no client library: a reason a person can act on
// (`connection refused 127.0.0.1:6379`, `WRONGPASS …`, `NOAUTH …`,
// `ERR DB index is out of range`).

/** One RESP command. */
function command(...words: string[]): string {
  const encoder = new TextEncoder();
  return `*${words.length}\r\n${
    words.map((w) => `$${encoder.encode(w).length}\r\n${w}\r\n`).join("")
  }`;
}

/**
 * Checks a Redis server answers, within `signal`.
 *
 * @param url The server.
 * @param signal Aborts the check.
 * @returns Nothing when it answers PONG, else why not.
 */
export async function pingRedis(
  url: URL,
  signal: AbortSignal,
): Promise<string | void> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 6379);
  const target = `${url.hostname}:${port}`;
  let conn: Deno.Conn;
  try {
    conn = url.protocol === "rediss:"
      ? await Deno.connectTls({ hostname, port })
      : await Deno.connect({ hostname, port, signal });
  } catch (error) {
    const text = String((error as Error)?.message ?? error);
    if (error instanceof Deno.errors.ConnectionRefused) {
      return `connection refused ${target}`;
    }
    if (error instanceof Deno.errors.NotCapable) {
      return `no permission to reach ${target} (${text})`;
    }
    return `cannot connect to ${target}: ${text}`;
  }
  const onAbort = () => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const words: string[][] = [];
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (password) {
      words.push(user ? ["AUTH", user, password] : ["AUTH", password]);
    }
    const db = url.pathname.replace(/^\//, "");
    if (db !== "") words.push(["SELECT", db]);
    words.push(["PING"]);
    await conn.write(
      new TextEncoder().encode(words.map((w) => command(...w)).join("")),
    );
    const replies = await readLines(conn, words.length);
    for (const reply of replies) {
      if (reply.startsWith("-")) return reply.slice(1);
    }
    if (replies.at(-1) !== "+PONG") {
      return `not a Redis server at ${target} (answered ${
        JSON.stringify(replies.at(-1)?.slice(0, 40))
      })`;
    }
  } catch (error) {
    if (signal.aborted) throw error;
    return `${target} closed the connection: ${
      (error as Error)?.message ?? error
    }`;
  } finally {
    signal.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // Closed at the abort.
    }
  }
}

/** Reads `count` reply lines (simple strings and errors). */
async function readLines(conn: Deno.Conn, count: number): Promise<string[]> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  for (;;) {
    const lines = text.split("\r\n");
    if (lines.length > count) return lines.slice(0, count);
    const n = await conn.read(buffer);
    if (n === null) {
      throw new Error(`it answered ${lines.length - 1} of ${count} commands`);
    }
    text += decoder.decode(buffer.subarray(0, n));
  }
}
