import assert from "node:assert/strict";
import { fetchMock, integration } from "../mod.ts";
import { ApiClient } from "./api_client.ts";

integration("API client gets data from a mocked API", {
  fixtures: {
    api: fetchMock.fixture({
      routes: [{
        method: "GET",
        url: "https://api.example.com/data",
        reply: { json: { result: "success" } },
      }],
      assertAllCalled: true, // fails the test if a route was never called
    }),
  },
}, async (_t, { api }) => {
  const client = new ApiClient();

  assert.deepEqual(await client.getData(), { result: "success" });
  assert.deepEqual(api.calls.map((c) => `${c.method} ${c.url}`), [
    "GET https://api.example.com/data",
  ]);
});

integration("API client reports an HTTP error", {
  fixtures: { api: fetchMock.fixture() },
}, async (_t, { api }) => {
  api.add("GET", "https://api.example.com/data", { status: 503 });

  await assert.rejects(
    () => new ApiClient().getData(),
    new Error("GET /data failed: HTTP 503"),
  );
});
