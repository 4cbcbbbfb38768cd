// One test per fixture kind, each hit by the fault named in ITKIT_FAULT, each
// followed by a plain test that checks, in this process, what must be back to
// normal (env, fetch, listening port). Resources outside the process (dirs,
// buckets, schemas, databases) are counted by the parent. ITKIT_FAULT=sleep
// passes after a short random sleep: the parent kills the process at a
// random moment.
import assert from "node:assert/strict";
import {
  defineFixture,
  env,
  fetchMock,
  type Fixture,
  httpServer,
  integration,
  tmpDir,
} from "../../mod.ts";
import { postgresDatabase } from "../../postgres.ts";
import { s3Bucket } from "../../s3.ts";
import { recorder } from "./_recorder.ts";

const fault = Deno.env.get("ITKIT_FAULT") ?? "throw";
const originalFetch = globalThis.fetch;
const ports: number[] = [];

const kinds: Record<string, () => Fixture> = {
  tmpDir: () => tmpDir.fixture(),
  env: () => env.fixture({ vars: { ITKIT_FAULT_VAR: "set" } }),
  fetchMock: () => fetchMock.fixture(),
  httpServer: () => httpServer.fixture({ handler: () => new Response("ok") }),
  s3Bucket: () => s3Bucket.fixture(),
  "postgres transaction": () =>
    postgresDatabase.fixture({ isolation: "transaction" }),
  "postgres schema": () => postgresDatabase.fixture({ isolation: "schema" }),
  "postgres database": () =>
    postgresDatabase.fixture({ isolation: "database" }),
};

/** Records the port of an httpServer, so the check can probe it. */
const witness = defineFixture<undefined, AsyncDisposable, { res: unknown }>({
  name: "witness",
  deps: ["res"],
  setup: (_options, { deps }) => {
    const port = (deps.res as { port?: number }).port;
    if (typeof port === "number") ports.push(port);
    return { [Symbol.asyncDispose]: () => Promise.resolve() };
  },
});

for (const [kind, make] of Object.entries(kinds)) {
  const fixtures: Record<string, Fixture> = {
    res: make(),
    witness: witness.fixture(),
  };
  if (fault === "setup") fixtures.boom = recorder.fixture({ failSetup: true });
  if (fault === "cleanup") {
    fixtures.boom = recorder.fixture({ failCleanup: true });
  }
  integration(`${kind} under ${fault}`, {
    fixtures,
    timeout: fault === "timeout" ? 300 : undefined,
  }, async (t) => {
    switch (fault) {
      case "throw":
        throw new Error("boom");
      case "assert":
        assert.equal(1, 2);
        break;
      case "step":
        await t.step("failing step", () => {
          throw new Error("boom in step");
        });
        break;
      case "timeout":
        await new Promise(() => {});
        break;
      case "unhandled":
        Promise.reject(new Error("nobody handles this"));
        await new Promise((resolve) => setTimeout(resolve, 1000));
        break;
      case "failfast":
        throw new Error("first failure stops the run");
      case "sleep":
        // Killed from outside at a random moment: any test may be in its
        // setup, body or cleanup.
        await new Promise((resolve) =>
          setTimeout(resolve, 20 + Math.random() * 200)
        );
        break;
    }
  });
  Deno.test(`check after ${kind} under ${fault}`, async () => {
    const leftovers: string[] = [];
    if (Deno.env.get("ITKIT_FAULT_VAR") !== undefined) {
      leftovers.push("env ITKIT_FAULT_VAR");
    }
    if (globalThis.fetch !== originalFetch) {
      leftovers.push("globalThis.fetch patched");
    }
    for (const port of ports.splice(0)) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        leftovers.push(`listening socket 127.0.0.1:${port}`);
      } catch { /* refused: good */ }
    }
    console.log(
      `LEFTOVERS ${kind} ${fault}: ${leftovers.length} ${leftovers.join(", ")}`,
    );
    assert.deepEqual(leftovers, []);
  });
}

// The parent kills the process at a random moment after this line.
if (fault === "sleep") console.log("READY module loaded");
