// The fetch mock as a user sees it, with fetch, node:https and axios: one
// `deno test` run (sanitizers on) of tests/core/testdata/fetch_mock_clients.ts,
// while this process counts every connection made to a loopback port.
import assert from "node:assert/strict";
import { runDenoTest } from "../_shared/harness.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
/** The first line each connection sent (a TLS hello is "(not HTTP)"). */
const seen: string[] = [];
const open = new Set<Promise<void>>();
const accepting = (async () => {
  for await (const conn of listener) {
    const done = answer(conn).finally(() => open.delete(done));
    open.add(done);
  }
})();

async function answer(conn: Deno.Conn): Promise<void> {
  try {
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer) ?? 0;
    const head = new TextDecoder().decode(buffer.subarray(0, n))
      .split("\r\n")[0]!;
    seen.push(/^[A-Z]+ \S+ HTTP\/1\.1$/.test(head) ? head : "(not HTTP)");
    await conn.write(
      new TextEncoder().encode(
        "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
      ),
    );
  } catch {
    // the client went away
  } finally {
    conn.close();
  }
}

const run = await runDenoTest(["fetch_mock_clients.ts"], {
  args: ["--sanitize-ops", "--sanitize-resources"],
  env: { ITKIT_COUNTER_PORT: String(port) },
});
listener.close();
await accepting;
await Promise.all(open);

const counter = `127\\.0\\.0\\.1:${port}`;
const known =
  "\\(routes: GET https://api\\.example\\.com/data, msw GET https://api\\.example\\.com/users/:id\\)";

function verdict(name: string): string {
  const line = run.output.split("\n").find((l) =>
    (l.startsWith(`[integration] ${name} ...`) ||
      l.startsWith(`${name} ...`)) && /\.\.\. (ok|FAILED)/.test(l)
  );
  assert.ok(line, `no verdict for "${name}" in:\n${run.output}`);
  return /\.\.\. ok/.test(line) ? "ok" : "FAILED";
}

function outputLine(prefix: string): string {
  const line = run.output.split("\n").find((l) => l.startsWith(prefix));
  assert.ok(line, `no line starting with "${prefix}" in:\n${run.output}`);
  return line.slice(prefix.length);
}

Deno.test("fetch, node:https and axios get answers from routes and msw handlers", () => {
  assert.equal(
    verdict("fetch and node:https get routes and msw handlers"),
    "ok",
  );
  assert.equal(
    outputLine("CALLS "),
    "GET https://api.example.com/data true,GET https://api.example.com/data true,GET https://api.example.com/users/7 true",
  );
  assert.equal(verdict("axios gets routes and msw handlers"), "ok");
});

Deno.test("the call log records every client's requests, matched or not, with their bodies", () => {
  assert.equal(verdict("the call log records every client's requests"), "ok");
  assert.deepEqual(JSON.parse(outputLine("LOG ")), [
    "GET https://api.example.com/data true ",
    "GET https://api.example.com/users/1 true ",
    'POST https://api.example.com/data false {"a":1}',
    `PUT http://127.0.0.1:${port}/log false x`,
  ]);
});

Deno.test("an unmatched request fails in every client with the mock's error", () => {
  for (const client of ["fetch", "node:https", "axios"]) {
    assert.equal(verdict(`unmatched ${client}`), "FAILED");
  }
  const scheme = { fetch: "http", https: "https", axios: "http" };
  for (const [path, protocol] of Object.entries(scheme)) {
    assert.match(
      run.output,
      new RegExp(
        `(TypeError|AxiosError): fetch mock: no route for GET ${protocol}://${counter}/${path} ${known}`,
      ),
    );
  }
});

Deno.test("an unmatched request never reaches the network", () => {
  // Only the loopback requests of the default mode and the two made after
  // disposal got through.
  assert.deepEqual(seen.toSorted(), [
    "GET /after-fetch HTTP/1.1",
    "GET /after-node HTTP/1.1",
    "GET /loopback-axios HTTP/1.1",
    "GET /loopback-fetch HTTP/1.1",
    "GET /loopback-node HTTP/1.1",
  ]);
});

Deno.test("an unmatched loopback request goes out by default, logged as passed through", () => {
  assert.equal(
    verdict("unmatched loopback requests go out by default"),
    "ok",
  );
  assert.equal(
    outputLine("LOOPBACK "),
    "GET /loopback-fetch false true,GET /loopback-node false true,GET /loopback-axios false true",
  );
});

Deno.test("a second mock is refused while one is live", () => {
  assert.equal(verdict("a second mock is refused while one is live"), "FAILED");
  assert.match(
    run.output,
    /Cannot install fetch mock "fetchMock": a fetch mock is already installed \(fixture "api"\); dispose it first/,
  );
});

Deno.test("disposal restores every client and the sanitizers stay clean", () => {
  assert.equal(verdict("disposal restores every client"), "ok");
  assert.doesNotMatch(run.output, /Leaks detected|NotCapable/);
  assert.equal(run.passed, 5, run.output);
  assert.equal(run.failed, 4, run.output);
});
