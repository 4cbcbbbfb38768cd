import assert from "node:assert/strict";
import { http, HttpResponse } from "msw";
import { fetchMock, integration } from "../mod.ts";
import { NodeApiClient } from "./api_client_node.ts";

// msw handlers, as a project may already keep them.
const handlers = [
  http.get("https://api.example.com/data", () => {
    return HttpResponse.json({ result: "success" });
  }),
];

integration("node:https client gets data from msw handlers", {
  fixtures: { api: fetchMock.fixture({ handlers }) },
}, async (_t, { api }) => {
  const client = new NodeApiClient();

  assert.deepEqual(await client.getData(), { result: "success" });
  assert.deepEqual(api.calls.map((c) => `${c.method} ${c.url}`), [
    "GET https://api.example.com/data",
  ]);
});

integration("an unmatched request fails instead of going out", {
  fixtures: { api: fetchMock.fixture({ handlers }) },
}, async () => {
  const client = new NodeApiClient("https://staging.example.com");

  await assert.rejects(() => client.getData(), {
    code: "ERR_FETCH_MOCK_NO_ROUTE",
    message:
      "fetch mock: no route for GET https://staging.example.com/data (routes: msw GET https://api.example.com/data)",
  });
});
