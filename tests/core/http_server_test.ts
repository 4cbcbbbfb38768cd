import assert from "node:assert/strict";
import { httpServer } from "../../mod.ts";
import { heldSockets, listeningInodes } from "../_shared/harness.ts";

Deno.test("httpServer() serves on loopback and stops listening on dispose", async () => {
  let inodes: string[] = [];
  {
    await using server = await httpServer({
      handler: (request) =>
        Response.json({ path: new URL(request.url).pathname }),
    });
    assert.equal(server.url.hostname, "127.0.0.1");
    const response = await fetch(new URL("/health", server.url));
    assert.deepEqual(await response.json(), { path: "/health" });
    inodes = await listeningInodes(server.port, true);
    assert.notDeepEqual(inodes, []);
  }
  // What the fixture promises: this process no longer holds its socket. Not
  // by connecting (another test may have taken the freed port already), nor
  // by the machine's socket table (a child another test's thread forks holds
  // a copy of the socket until it execs, which keeps it listening a moment).
  const held = heldSockets();
  assert.deepEqual(inodes.filter((inode) => held.has(inode)), []);
});

Deno.test("httpServer.fixture() declares net to the loopback host", () => {
  const fixture = httpServer.fixture({ handler: () => new Response() });
  assert.deepEqual(fixture.permissions, { net: ["127.0.0.1"] });
});
