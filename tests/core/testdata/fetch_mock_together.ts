// The fetch mock beside the toolkit's other fixtures and the test's own
// servers: the toolkit's S3 client and httpServer fixtures reach their
// targets even with loopback turned off, a server the test starts itself is
// reached by default, more hosts are let through with `passthrough`, a body
// cancelled after msw's passthrough() settles, and `assertAllCalled` names
// the routes never called.
import assert from "node:assert/strict";
import http from "node:http";
import axios from "axios";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { http as msw, passthrough } from "msw";
import { fetchMock, httpServer, integration } from "../../../mod.ts";
import { probeS3, s3Bucket, s3Config } from "../../../s3.ts";

// A probe of the store at load: its client lives for the probe only.
const s3 = await probeS3();
const store = s3Config().endpoint.origin;
// axios reads the proxy variables on every request, mocked or not.
const AXIOS_ENV = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]
  .flatMap((name) => [name, name.toUpperCase()]);
const data = {
  url: "https://api.example.com/data",
  reply: { json: { n: 1 } },
};

/** GETs `url` with node:http; resolves to "status body". */
function nodeGet(url: string | URL): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => body += chunk);
      response.on("end", () => resolve(`${response.statusCode} ${body}`));
      response.on("error", reject);
    }).on("error", reject);
  });
}

/** A local server answering its path, for the test's own servers. */
function echoServer(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => new Response(new URL(request.url).pathname),
  );
}

integration("fetchMock beside s3Bucket", {
  requires: [s3],
  fixtures: {
    // Set up first, so the bucket is made and removed with the mock live.
    api: fetchMock.fixture({
      routes: [data, {
        method: "*",
        url: new URLPattern({}), // answers everything else: not S3
        reply: { status: 418 },
      }],
      passthroughLoopback: false, // S3 goes out as the toolkit's service
    }),
    bucket: s3Bucket.fixture(),
  },
}, async (_t, { api, bucket }) => {
  assert.deepEqual(await (await fetch(data.url)).json(), { n: 1 });
  await bucket.client.send(
    new PutObjectCommand({
      Bucket: bucket.name,
      Key: bucket.key("k"),
      Body: "v",
    }),
  );
  const object = await bucket.client.send(
    new GetObjectCommand({ Bucket: bucket.name, Key: bucket.key("k") }),
  );
  assert.equal(await object.Body!.transformToString(), "v");
  assert.equal((await fetch("https://other.example.com/")).status, 418);
  console.log(`S3 CALLS ${api.calls.map((c) => `${c.method} ${c.url}`)}`);
});

integration(
  "a route for the S3 endpoint answers the test's own request, beside s3Bucket",
  {
    requires: [s3],
    fixtures: {
      api: fetchMock.fixture({
        routes: [{ url: `${store}/mocked`, reply: { text: "mocked" } }],
        passthroughLoopback: false,
      }),
      bucket: s3Bucket.fixture(),
    },
  },
  async (_t, { api, bucket }) => {
    // The toolkit's client goes out, past the route's origin.
    await bucket.client.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: bucket.key("k"),
        Body: "v",
      }),
    );
    // The test's own: the route answers; unanswered, it goes out (a toolkit
    // client of the store lives).
    assert.equal(await (await fetch(`${store}/mocked`)).text(), "mocked");
    await (await fetch(`${store}/${bucket.name}/${bucket.key("k")}`)).body
      ?.cancel();
    console.log(
      `STORE CALLS ${
        api.calls.map((c) =>
          `${
            c.url.replace(store, "").replace(bucket.name, "b")
          } ${c.matched} ${c.passedThrough}`
        )
      }`,
    );
  },
);

integration(
  "after a probe of the store, an unanswered request to it fails like any other",
  {
    requires: [s3],
    fixtures: {
      api: fetchMock.fixture({
        routes: [{ url: `${store}/mocked`, reply: { text: "mocked" } }],
        passthroughLoopback: false,
      }),
    },
  },
  async () => {
    assert.equal(await (await fetch(`${store}/mocked`)).text(), "mocked");
    await assert.rejects(() => fetch(`${store}/other`), {
      code: "ERR_FETCH_MOCK_NO_ROUTE",
    });
  },
);

integration("fetchMock beside httpServer", {
  fixtures: {
    api: fetchMock.fixture({ routes: [data], passthroughLoopback: false }),
    server: httpServer.fixture({
      handler: (request) => new Response(new URL(request.url).pathname),
    }),
  },
  permissions: { env: AXIOS_ENV },
}, async (_t, { api, server }) => {
  assert.deepEqual(await (await fetch(data.url)).json(), { n: 1 });
  assert.equal(await (await fetch(new URL("/f", server.url))).text(), "/f");
  assert.equal((await axios.get(new URL("/a", server.url).href)).data, "/a");
  assert.equal(await nodeGet(new URL("/n", server.url)), "200 /n");
  console.log(`SERVER CALLS ${api.calls.map((c) => `${c.method} ${c.url}`)}`);
});

integration("fetchMock beside the test's own server", {
  fixtures: { api: fetchMock.fixture({ routes: [data] }) },
  permissions: { env: AXIOS_ENV, net: ["127.0.0.1"] },
}, async (_t, { api }) => {
  await using server = echoServer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  assert.deepEqual(await (await fetch(data.url)).json(), { n: 1 });
  assert.equal(await (await fetch(`${base}/f`)).text(), "/f");
  assert.equal((await axios.get(`${base}/a`)).data, "/a");
  assert.equal(await nodeGet(`${base}/n`), "200 /n");
  console.log(
    `OWN CALLS ${
      api.calls.map((c) =>
        `${c.method} ${c.url.replace(base, "")} ${c.matched} ${c.passedThrough}`
      )
    }`,
  );
});

integration("passthrough lets the hosts given through", {
  permissions: { env: ["DEBUG", "LOG_LEVEL"], net: ["127.0.0.1"] },
}, async () => {
  await using server = echoServer();
  await using other = echoServer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const otherBase = `http://127.0.0.1:${other.addr.port}`;
  await using _api = await fetchMock({
    passthrough: [`127.0.0.1:${server.addr.port}`, `${otherBase}/public/`],
    passthroughLoopback: false,
  });
  assert.equal(await (await fetch(`${base}/any`)).text(), "/any");
  assert.equal(await nodeGet(`${otherBase}/public/x`), "200 /public/x");
  await assert.rejects(() => fetch(`${otherBase}/private`), {
    code: "ERR_FETCH_MOCK_NO_ROUTE",
  });
  await assert.rejects(() => nodeGet(`${otherBase}/private`), {
    code: "ERR_FETCH_MOCK_NO_ROUTE",
  });
});

// A cancel settles at once; the short timeout bounds the hang it once was.
integration("a body cancelled after passthrough() or a mocked stream settles", {
  timeout: 5_000,
  permissions: { env: ["DEBUG", "LOG_LEVEL"], net: ["127.0.0.1"] },
}, async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("x".repeat(1_000_000)),
  );
  const url = `http://127.0.0.1:${server.addr.port}/big`;
  await using _api = await fetchMock({
    routes: [{
      url: "https://api.example.com/stream",
      reply: () =>
        new Response(
          new ReadableStream({
            pull: (controller) => controller.enqueue(new Uint8Array(1024)),
          }),
        ),
    }],
    handlers: [msw.get(url, () => passthrough())],
  });
  for (const target of [url, "https://api.example.com/stream"]) {
    const response = await fetch(target);
    assert.equal(response.status, 200);
    await response.body!.cancel();
  }
  console.log("CANCELLED");
});

const routes = [
  { url: "https://api.example.com/a", reply: { text: "a" } },
  { url: "https://api.example.com/b", reply: { text: "b" } },
  { method: "POST", url: "https://api.example.com/c", reply: { text: "c" } },
];

integration("assertAllCalled passes when every route was called", {
  fixtures: { api: fetchMock.fixture({ routes, assertAllCalled: true }) },
}, async () => {
  await (await fetch("https://api.example.com/a")).text();
  await (await fetch("https://api.example.com/b")).text();
  await (await fetch("https://api.example.com/c", { method: "POST" })).text();
});

// The next two fail on purpose: the parent reads their errors.
integration("assertAllCalled fails naming the routes never called", {
  fixtures: { api: fetchMock.fixture({ routes, assertAllCalled: true }) },
}, async () => {
  await (await fetch("https://api.example.com/b")).text();
});

integration("api.assertAllCalled() fails naming the routes never called", {
  fixtures: { api: fetchMock.fixture({ routes }) },
}, async (_t, { api }) => {
  api.add("GET", "https://api.example.com/d", { text: "d" });
  await (await fetch("https://api.example.com/a")).text();
  api.assertAllCalled();
});
