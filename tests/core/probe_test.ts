import assert from "node:assert/strict";
import { probe, probeHttp, probeTcp } from "../../mod.ts";
import { closedPort, eventually, runInlineTest } from "../_shared/harness.ts";

/** A loopback server that accepts connections and never answers. */
function silentServer():
  & { port: number; accepted: () => number }
  & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => conns.length,
    async [Symbol.asyncDispose](): Promise<void> {
      listener.close();
      await loop;
      for (const conn of conns) conn.close();
    },
  };
}

/** Run inline by the tests below. */
const PROBE_BUDGET =
  `// Probes a server that never answers with the default budget, which
// ITKIT_PROBE_TIMEOUT sets; prints the reason.
import { probeHttp } from "@itkit/core";

const result = await probeHttp(\`http://127.0.0.1:\${Deno.env.get("PORT")}/\`);
console.log(\`REASON \${result.reason}\`);
Deno.test("nothing", () => {});
`;

Deno.test("probeTcp() reports a refused port with its address", async () => {
  const port = closedPort();
  const result = await probeTcp("127.0.0.1", port);
  assert.equal(result.ok, false);
  assert.equal(result.name, "tcp");
  assert.equal(result.target, `127.0.0.1:${port}`);
  assert.equal(result.reason, `connection refused 127.0.0.1:${port}`);
});

Deno.test("probeTcp() passes for an open port and probes it once for many callers", async () => {
  await using server = silentServer();
  const results = await Promise.all(
    Array.from({ length: 5 }, () => probeTcp("127.0.0.1", server.port)),
  );
  assert.ok(results.every((r) => r.ok && r.reason === "ok"));
  assert.equal(results[0], results[4]);
  await probeTcp("127.0.0.1", server.port);
  // A connection of our own, after the probes: the server accepts in order
  // of arrival, so once it has accepted this one, it has accepted every
  // connection the probes made. Exactly one of them.
  (await Deno.connect({ hostname: "127.0.0.1", port: server.port })).close();
  await eventually(
    () => Promise.resolve(server.accepted() >= 2),
    "the server accepted our connection",
    { ms: 60_000, why: "an accept on loopback; only a bound for a hang" },
  );
  assert.equal(server.accepted(), 2);
});

Deno.test("probeHttp() times out on a server that never answers", async () => {
  await using server = silentServer();
  const result = await probeHttp(`http://127.0.0.1:${server.port}/health`, {
    timeout: 200,
  });
  assert.equal(result.ok, false);
  assert.equal(result.reason, "timed out after 200 ms");
});

Deno.test("ITKIT_PROBE_TIMEOUT sets the default budget; a malformed one is an error", async () => {
  await using server = silentServer();
  const ok = await runInlineTest({ "probe_budget.ts": PROBE_BUDGET }, {
    env: { PORT: String(server.port), ITKIT_PROBE_TIMEOUT: "150" },
  });
  assert.match(ok.output, /REASON timed out after 150 ms/);
  const bad = await runInlineTest({ "probe_budget.ts": PROBE_BUDGET }, {
    env: { PORT: String(server.port), ITKIT_PROBE_TIMEOUT: "1s" },
  });
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.output,
    /Cannot read ITKIT_PROBE_TIMEOUT: "1s" is not a budget \(expected a positive whole number of milliseconds, e\.g\. 5000\)/,
  );
});

Deno.test("probeHttp() reports an unexpected status and accepts an expected one", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/down"
        ? new Response("no", { status: 503 })
        : new Response(null, { status: 204 }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  assert.equal((await probeHttp(`${base}/down`)).reason, "HTTP 503");
  assert.equal((await probeHttp(`${base}/up`)).ok, true);
  assert.equal(
    (await probeHttp(`${base}/down-ok`, { expectStatus: 200 })).reason,
    "HTTP 204",
  );
});

Deno.test("probe() turns false, a string, a throw and a slow check into reasons", async () => {
  assert.equal(
    (await probe("unit false", () => Promise.resolve(false))).reason,
    "check returned false",
  );
  assert.equal(
    (await probe("unit string", () => Promise.resolve("no creds"))).reason,
    "no creds",
  );
  assert.equal(
    (await probe("unit throw", () => Promise.reject(new Error("kaput"))))
      .reason,
    "kaput",
  );
  const slow = await probe(
    "unit slow",
    (signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    { timeout: 50 },
  );
  assert.equal(slow.reason, "timed out after 50 ms");
  assert.equal((await probe("unit ok", () => Promise.resolve(true))).ok, true);
});

Deno.test("probe() accepts a synchronous check", async () => {
  const down = await probe("sync check down", () => "not configured");
  assert.deepEqual([down.ok, down.reason], [false, "not configured"]);
  const up = await probe("sync check up", () => true);
  assert.deepEqual([up.ok, up.reason], [true, "ok"]);
  const thrown = await probe("sync check throws", () => {
    throw new Error("no config file");
  });
  assert.deepEqual([thrown.ok, thrown.reason], [false, "no config file"]);
});

Deno.test("probeS3() does not spend its budget loading the AWS SDK", async () => {
  // The SDK as a cold cache serves it: 5 s to load (an import map puts a
  // slow module in its place), against a 4 s budget. Loaded inside the
  // budget, a store that answers at once (here: refuses) is "timed out".
  const dir = await Deno.makeTempDir({ prefix: "itkit-slow-sdk-" });
  try {
    const sdk = "npm:@aws-sdk/client-s3@^3.1175.0";
    await Deno.writeTextFile(
      `${dir}/import_map.json`,
      JSON.stringify({ imports: { [sdk]: "./slow_sdk.ts" } }),
    );
    await Deno.writeTextFile(
      `${dir}/slow_sdk.ts`,
      `await new Promise((resolve) => setTimeout(resolve, 5_000));
      export * from "npm:@aws-sdk/client-s3@3.1175.0";`,
    );
    const port = closedPort();
    await Deno.writeTextFile(
      `${dir}/probe.ts`,
      `import { probeS3, s3Config } from "${new URL(
        "../../s3.ts",
        import.meta.url,
      )}";
      const result = await probeS3(
        s3Config({ S3_ENDPOINT: "http://127.0.0.1:${port}" }),
        { timeout: 4_000 },
      );
      console.log("REASON " + result.reason);`,
    );
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-lock",
        "--import-map=import_map.json",
        "probe.ts",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
    }).output();
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    assert.match(
      output,
      new RegExp(`^REASON connection refused 127\\.0\\.0\\.1:${port}$`, "m"),
      output,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
