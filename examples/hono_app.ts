/**
 * The app under test of `app_server_test.ts`, in the shape of a Hono app (an
 * object with a `fetch` handler, served by `Deno.serve`): results saved as
 * JSON files under `DATA_DIR`, read through a Redis cache (`REDIS_URL`, keys
 * under `REDIS_PREFIX`). Run it with
 * `PORT=8000 DATA_DIR=/tmp REDIS_URL=redis://127.0.0.1:6379 deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-write examples/hono_app.ts`.
 *
 * @module
 */

import { closeRedisClient, redisClient } from "../redis.ts";
import { LocalResultsStore } from "./results_store.ts";
import { CachedResultsStore } from "./results_cache.ts";

/** Builds the app around its store. */
export function createApp(
  store: CachedResultsStore,
): { fetch(request: Request): Promise<Response> } {
  return {
    async fetch(request: Request): Promise<Response> {
      const { pathname } = new URL(request.url);
      if (pathname === "/health") return Response.json({ status: "ok" });
      const match = /^\/results\/([\w-]+)$/.exec(pathname);
      if (!match) return new Response("not found", { status: 404 });
      const name = match[1]!;
      if (request.method === "PUT") {
        await store.save(name, await request.json());
        return new Response(null, { status: 204 });
      }
      try {
        return Response.json(await store.load(name));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          return new Response("no such result", { status: 404 });
        }
        throw error;
      }
    },
  };
}

if (import.meta.main) {
  const env = (name: string): string => {
    const value = Deno.env.get(name);
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const client = await redisClient(new URL(env("REDIS_URL")));
  const store = new CachedResultsStore(
    new LocalResultsStore(env("DATA_DIR")),
    client,
    Deno.env.get("REDIS_PREFIX") ?? "",
  );
  const app = createApp(store);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: Number(env("PORT")) },
    app.fetch,
  );
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    await closeRedisClient(client);
    Deno.exit(0);
  });
}
