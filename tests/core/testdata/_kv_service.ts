// The custom service of the service tests, defined as a user would: a tiny
// key-value server (_kv_server.ts) whose spaces are key prefixes, with a
// lease, built on the public `service.ts` only.
import { defineService } from "../../../service.ts";

/** What a test's space gives the test. */
export interface KvSpace {
  /** Stores `value` under the space's `key`. */
  put(key: string, value: string): Promise<void>;
  /** The space's keys, without its prefix. */
  keys(): Promise<string[]>;
}

async function ok(response: Promise<Response>): Promise<Response> {
  const answered = await response;
  if (!answered.ok) {
    throw new Error(`kv answered ${answered.status}: ${await answered.text()}`);
  }
  return answered;
}

export const kv = defineService<KvSpace>({
  name: "kv",
  module: import.meta.url,
  env: "KV_URL",
  protocols: ["http:"],
  start: {
    command: [
      "deno",
      "run",
      "--allow-net=127.0.0.1",
      new URL("./_kv_server.ts", import.meta.url).pathname,
    ],
    args: ({ port }) => [String(port)],
    url: ({ port }) => `http://127.0.0.1:${port}`,
  },
  probe: async (url, signal) => {
    const response = await fetch(new URL("/health", url), { signal });
    await response.body?.cancel();
    if (!response.ok) return `HTTP ${response.status}`;
  },
  isolation: {
    create: ({ url, name }) => ({
      put: async (key, value) => {
        await (await ok(fetch(new URL(`/k/${name}/${key}`, url), {
          method: "PUT",
          body: value,
        }))).body?.cancel();
      },
      keys: async () =>
        ((await (await ok(fetch(new URL("/keys", url)))).json()) as string[])
          .filter((key) => key.startsWith(`${name}/`))
          .map((key) => key.slice(name.length + 1)),
    }),
    remove: async ({ url, name }) => {
      const response = await ok(
        fetch(new URL(`/prefix/${name}`, url), { method: "DELETE" }),
      );
      return (await response.json()).removed > 0;
    },
  },
  sweep: {
    list: async (_none, url) => {
      const keys: string[] = await (await ok(fetch(new URL("/keys", url))))
        .json();
      return keys.map((key) => key.split("/")[0]!);
    },
  },
  lease: {
    hold: async ({ url, name, ttl }) => {
      await (await ok(fetch(new URL(`/lease/${name}?ttl=${ttl}`, url), {
        method: "PUT",
      }))).body?.cancel();
    },
    release: async ({ url, name }) => {
      await (await ok(fetch(new URL(`/lease/${name}`, url), {
        method: "DELETE",
      }))).body?.cancel();
    },
    alive: async (_none, url, runIds) => {
      const held: string[] = await (await ok(fetch(new URL("/leases", url))))
        .json();
      return new Set(runIds.filter((id) => held.includes(`itkit-${id}-0`)));
    },
  },
});
