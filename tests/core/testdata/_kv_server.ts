// A tiny key-value server over HTTP, the custom service of the service tests:
// `deno run --allow-net _kv_server.ts <port>` on 127.0.0.1. Keys are paths:
// PUT/GET /k/<key>, GET /keys (every key), DELETE /prefix/<p> (the keys under
// `<p>/`), PUT /lease/<name>?ttl=<ms>, DELETE /lease/<name>, GET /leases (the
// names held now), GET /health.
const port = Number(Deno.args[0]);
const keys = new Map<string, string>();
const leases = new Map<string, number>();
Deno.serve(
  { hostname: "127.0.0.1", port, onListen: () => {} },
  async (request) => {
    const url = new URL(request.url);
    const [, kind, ...rest] = url.pathname.split("/");
    const name = decodeURIComponent(rest.join("/"));
    if (kind === "health") return new Response("ok");
    if (kind === "keys") return Response.json([...keys.keys()]);
    if (kind === "k" && request.method === "PUT") {
      keys.set(name, await request.text());
      return new Response("ok");
    }
    if (kind === "k") {
      const value = keys.get(name);
      return value === undefined
        ? new Response("none", { status: 404 })
        : new Response(value);
    }
    if (kind === "prefix" && request.method === "DELETE") {
      let removed = 0;
      for (const key of [...keys.keys()]) {
        if (key.startsWith(`${name}/`)) removed += Number(keys.delete(key));
      }
      return Response.json({ removed });
    }
    if (kind === "lease" && request.method === "PUT") {
      leases.set(name, Date.now() + Number(url.searchParams.get("ttl")));
      return new Response("ok");
    }
    if (kind === "lease" && request.method === "DELETE") {
      leases.delete(name);
      return new Response("ok");
    }
    if (kind === "leases") {
      return Response.json(
        [...leases].filter(([, until]) => until > Date.now()).map(([n]) => n),
      );
    }
    return new Response("not found", { status: 404 });
  },
);
console.log(`kv listening on ${port}`);
