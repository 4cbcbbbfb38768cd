import assert from "node:assert/strict";
import { fetchMock } from "../mod.ts";

Deno.test("fetchMock() answers JSON, text, status and handler routes and logs calls", async () => {
  const original = globalThis.fetch;
  {
    await using api = await fetchMock({
      routes: [{
        url: "https://api.example.com/data",
        reply: { json: { result: "success" } },
      }],
    });
    api
      .add("POST", "https://api.example.com/items", {
        status: 201,
        text: "created",
      })
      .add(
        "*",
        new URLPattern({ pathname: "/echo/:word" }),
        (request) => new Response(new URL(request.url).pathname.split("/")[2]),
      );

    const data = await fetch("https://api.example.com/data");
    assert.equal(data.headers.get("content-type"), "application/json");
    assert.deepEqual(await data.json(), { result: "success" });
    const created = await fetch("https://api.example.com/items", {
      method: "POST",
      body: "x",
    });
    assert.equal(created.status, 201);
    assert.equal(await created.text(), "created");
    assert.equal(
      await (await fetch("http://other.test/echo/hi", { method: "PUT" }))
        .text(),
      "hi",
    );
    assert.deepEqual(
      api.calls.map((c) => `${c.method} ${c.url} ${c.matched}`),
      [
        "GET https://api.example.com/data true",
        "POST https://api.example.com/items true",
        "PUT http://other.test/echo/hi true",
      ],
    );
  }
  assert.equal(globalThis.fetch, original);
});

Deno.test("fetchMock() rejects an unmatched request naming it and the routes", async () => {
  await using api = await fetchMock();
  api.add("GET", "https://api.example.com/data", { json: {} });
  await assert.rejects(
    () => fetch("https://api.example.com/other", { method: "DELETE" }),
    new TypeError(
      "fetch mock: no route for DELETE https://api.example.com/other (routes: GET https://api.example.com/data)",
    ),
  );
  assert.equal(api.calls[0].matched, false);
});

Deno.test("fetchMock() refuses to stack on another mock", async () => {
  await using _first = await fetchMock();
  await assert.rejects(
    () => fetchMock(),
    new Error(
      'Cannot install fetch mock "fetchMock": a fetch mock is already installed (fixture "fetchMock"); dispose it first',
    ),
  );
});
