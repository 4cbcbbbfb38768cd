import assert from "node:assert/strict";
import { httpServer, integration } from "../mod.ts";

// One server for the whole file: started before the first test that uses it,
// disposed after the last.
const api = httpServer.fixture({
  scope: "module",
  handler: (request) => Response.json({ path: new URL(request.url).pathname }),
});

integration("lists users", { fixtures: { api } }, async (_t, { api }) => {
  const body = await (await fetch(new URL("/users", api.url))).json();
  assert.deepEqual(body, { path: "/users" });
});

integration("lists orders", { fixtures: { api } }, async (_t, { api }) => {
  const body = await (await fetch(new URL("/orders", api.url))).json();
  assert.deepEqual(body, { path: "/orders" });
});
