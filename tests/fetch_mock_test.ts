import assert from "node:assert/strict";
import { http, HttpResponse } from "msw";
import { fetchMock } from "../mod.ts";
import { expectRun, runDenoTest } from "./_harness.ts";

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
    {
      name: "TypeError",
      message:
        "fetch mock: no route for DELETE https://api.example.com/other (routes: GET https://api.example.com/data)",
      code: "ERR_FETCH_MOCK_NO_ROUTE",
    },
  );
  assert.equal(api.calls[0]!.matched, false);
});

Deno.test("fetchMock() answers from msw handlers after its routes", async () => {
  await using api = await fetchMock({
    routes: [{
      url: "https://api.example.com/users/1",
      reply: { text: "route" },
    }],
    handlers: [
      http.get(
        "https://api.example.com/users/:id",
        ({ params }) => HttpResponse.text(`handler ${params.id}`),
      ),
    ],
  });
  const text = async (url: string) => await (await fetch(url)).text();
  assert.equal(await text("https://api.example.com/users/1"), "route");
  assert.equal(await text("https://api.example.com/users/2"), "handler 2");
  await assert.rejects(
    () => fetch("https://api.example.com/teams/1"),
    new TypeError(
      "fetch mock: no route for GET https://api.example.com/teams/1 (routes: GET https://api.example.com/users/1, msw GET https://api.example.com/users/:id)",
    ),
  );
  assert.deepEqual(api.calls.map((c) => c.matched), [true, true, false]);
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

Deno.test("fetchMock() declares exactly the permissions msw needs", async () => {
  const granted = await runDenoTest(["fetch_mock_env.ts"], {
    args: ["--sanitize-ops", "--sanitize-resources"],
  });
  expectRun(granted, granted.code === 0, "the declared permissions suffice");
  assert.match(granted.output, /^DECLARED {"env":\["DEBUG","LOG_LEVEL"\]}$/m);
  for (const name of ["DEBUG", "LOG_LEVEL"]) {
    const short = await runDenoTest(["fetch_mock_env.ts"], {
      env: { ITKIT_DROP: name },
    });
    expectRun(short, short.failed === 1, `${name} is needed`);
    assert.match(
      short.output,
      new RegExp(`NotCapable: Requires env access to "${name}"`),
    );
  }
});
