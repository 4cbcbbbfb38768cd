import assert from "node:assert/strict";
import { httpServer } from "../mod.ts";
import { listeningInodes, stillListening } from "./_harness.ts";

Deno.test("httpServer() serves on loopback and stops listening on dispose", async () => {
  let port: number;
  let inodes: string[] = [];
  {
    await using server = await httpServer({
      handler: (request) =>
        Response.json({ path: new URL(request.url).pathname }),
    });
    port = server.port;
    assert.equal(server.url.hostname, "127.0.0.1");
    const response = await fetch(new URL("/health", server.url));
    assert.deepEqual(await response.json(), { path: "/health" });
    inodes = await listeningInodes(port, true);
    assert.notDeepEqual(inodes, []);
  }
  // Not by connecting: under a parallel suite another test may have taken the
  // freed port already. The server's own socket is gone.
  assert.deepEqual(await stillListening(port, inodes), []);
});

Deno.test("httpServer.fixture() declares net to the loopback host", () => {
  const fixture = httpServer.fixture({ handler: () => new Response() });
  assert.deepEqual(fixture.permissions, { net: ["127.0.0.1"] });
});
