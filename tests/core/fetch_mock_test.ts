import assert from "node:assert/strict";
import { http, HttpResponse } from "msw";
import { fetchMock } from "../../mod.ts";
import {
  type DenoTestRun,
  expectRun,
  projectDir,
  runDenoTest,
} from "../_shared/harness.ts";

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

/** A user's suite with msw handlers, from whichever msw its project has. */
const MSW_SUITE = `
import assert from "node:assert/strict";
import https from "node:https";
import { http, HttpResponse, passthrough, ws } from "msw";
import { fetchMock, integration } from ${
  JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
};

const handlers = [
  http.get("https://api.example.com/users/:id", ({ params }) =>
    HttpResponse.json({ id: params.id })),
  http.post("https://api.example.com/users", async ({ request }) =>
    HttpResponse.json(await request.json(), { status: 201 })),
];

function httpsGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, (response) => {
      let body = "";
      response.on("data", (chunk) => body += chunk);
      response.on("end", () => resolve(\`\${response.statusCode} \${body}\`));
    }).on("error", reject);
  });
}

integration("msw handlers answer fetch and node:https", {
  fixtures: { api: fetchMock.fixture({ handlers }) },
}, async (_t, { api }) => {
  assert.deepEqual(
    await (await fetch("https://api.example.com/users/1")).json(),
    { id: "1" },
  );
  const created = await fetch("https://api.example.com/users", {
    method: "POST",
    body: JSON.stringify({ name: "a" }),
  });
  assert.equal(created.status, 201);
  assert.deepEqual(await created.json(), { name: "a" });
  assert.equal(await httpsGet("https://api.example.com/users/2"), '200 {"id":"2"}');
  await assert.rejects(() => fetch("https://api.example.com/teams/1"), {
    code: "ERR_FETCH_MOCK_NO_ROUTE",
    message: "fetch mock: no route for GET https://api.example.com/teams/1 (routes: msw GET https://api.example.com/users/:id, msw POST https://api.example.com/users)",
  });
  assert.deepEqual(api.calls.map((c) => c.matched), [true, true, true, false]);
});

// A cancel settles at once; the short timeout bounds the hang it once was.
integration("an msw passthrough() goes out and its body can be cancelled", {
  timeout: 5_000,
  permissions: { env: ["DEBUG", "LOG_LEVEL"], net: ["127.0.0.1"] },
}, async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => new Response(new URL(request.url).pathname.repeat(100_000)),
  );
  const url = \`http://127.0.0.1:\${server.addr.port}/pt\`;
  await using api = await fetchMock({
    handlers: [http.get(url, () => passthrough())],
    passthroughLoopback: false, // only the handler lets it through
  });
  assert.equal((await (await fetch(url)).text()).length, 300_000);
  const response = await fetch(url);
  await response.body!.cancel();
  assert.deepEqual(api.calls.map((c) => c.passedThrough), [true, true]);
});

integration("an msw WebSocket handler is refused, naming it", () => {
  const chat = ws.link("wss://chat.example.com");
  assert.throws(
    () => fetchMock.fixture({ handlers: [chat.addEventListener("connection", () => {})] }),
    new TypeError(
      "Cannot create fetchMock fixture: handlers[0] is an msw WebSocket handler (ws.link), which the fetch mock does not run: it intercepts HTTP only (expected an HTTP or GraphQL handler, such as http.get(url, resolver))",
    ),
  );
});
`;

/** Runs {@linkcode MSW_SUITE} in a project whose deno.json maps msw to `msw`. */
async function runMswProject(msw: string): Promise<DenoTestRun> {
  await using dir = await projectDir("itkit-msw-project-", {
    // What `deno add npm:msw` writes (or a project pinned to msw 2).
    "deno.json": JSON.stringify({ imports: { msw } }),
    "suite_test.ts": MSW_SUITE,
  });
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    // Type-checked (no --no-check), as a user's `deno test` would be.
    args: [
      "test",
      "-A",
      "--sanitize-ops",
      "--sanitize-resources",
      "suite_test.ts",
    ],
    cwd: dir.path,
    env: { NO_COLOR: "1", ITKIT_REQUIRE: "", ITKIT_SHARD: "" },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(stdout) + decoder.decode(stderr);
  const summary = /^(?:ok|FAILED) \| (\d+) passed \| (\d+) failed/m.exec(
    output,
  );
  return {
    code,
    output,
    passed: Number(summary?.[1] ?? 0),
    failed: Number(summary?.[2] ?? 0),
    ignored: 0,
    filtered: 0,
    reaperFailed: [],
  };
}

for (
  const [major, msw] of [["3", "npm:msw@^3"], ["2", "npm:msw@^2"]] as const
) {
  Deno.test(`a project on msw ${major} (${msw}) passes its msw handlers to fetchMock`, async () => {
    const run = await runMswProject(msw);
    expectRun(
      run,
      run.code === 0 && run.passed === 3 && run.failed === 0,
      `the suite type-checks and its 3 tests pass on ${msw}`,
    );
    assert.doesNotMatch(run.output, /Leaks detected/);
  });
}
