// For each fault named in ITKIT_FAULT (a comma-separated list), one test per
// fixture kind hit by that fault, each followed by a plain test that checks,
// in this process, what must be back to normal (env, fetch, listening port):
// a fault that leaks shows in the next check, whichever row it is in.
// Resources outside the process (dirs, buckets, schemas, databases) are
// counted by the parent. The stray-* faults
// leave a rejection nobody handles (or throw from a timer) in one phase of the
// test: fixture setup, body, the same turn as a body throw, a step, disposal,
// after the toolkit's timeout. ITKIT_FAULT=sleep
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
} from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";
import { recorder } from "../../_shared/recorder.ts";
import { listenersHere } from "../../_shared/sockets.ts";

const faults = (Deno.env.get("ITKIT_FAULT") ?? "throw").split(",");
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

/** Records the port of an httpServer, so the check can look at it. */
const witness = defineFixture<undefined, AsyncDisposable, { res: unknown }>({
  name: "witness",
  deps: ["res"],
  setup: (_options, { deps }) => {
    const port = (deps.res as { port?: number }).port;
    if (typeof port === "number") ports.push(port);
    return { [Symbol.asyncDispose]: () => Promise.resolve() };
  },
});

/**
 * Leaves a rejection nobody handles during its setup, its disposal, or when
 * the test's signal is aborted (the toolkit's timeout).
 */
const stray = defineFixture<
  { in: "setup" | "disposal" | "abort" },
  AsyncDisposable
>({
  name: "stray",
  setup: async (options, { signal }) => {
    if (options.in === "abort") {
      // An aborted call nobody awaits: it rejects while fixtures are disposed.
      signal.addEventListener("abort", () => {
        void Promise.reject(new Error("aborted call nobody awaits"));
      });
    }
    if (options.in === "setup") {
      void Promise.reject(new Error("stray rejection in setup"));
      await delay(20);
    }
    return {
      [Symbol.asyncDispose]: async () => {
        if (options.in === "disposal") {
          void Promise.reject(new Error("stray rejection in disposal"));
          await delay(20);
        }
      },
    };
  },
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

for (const fault of faults) {
  for (const [kind, make] of Object.entries(kinds)) declare(fault, kind, make);
}

/** The test of `kind` under `fault`, and its check. */
function declare(fault: string, kind: string, make: () => Fixture): void {
  const fixtures: Record<string, Fixture> = {
    // Set up first, so that it listens even when the timeout hits res's setup.
    ...(fault === "stray-timeout"
      ? { boom: stray.fixture({ in: "abort" }) }
      : {}),
    res: make(),
    witness: witness.fixture(),
  };
  if (fault === "setup") fixtures.boom = recorder.fixture({ failSetup: true });
  if (fault === "cleanup") {
    fixtures.boom = recorder.fixture({ failCleanup: true });
  }
  if (fault === "stray-setup") fixtures.boom = stray.fixture({ in: "setup" });
  if (fault === "stray-disposal") {
    fixtures.boom = stray.fixture({ in: "disposal" });
  }
  integration(`${kind} under ${fault}`, {
    fixtures,
    ...(fault === "timeout" || fault === "stray-timeout"
      ? { timeout: 300 }
      : {}),
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
      case "stray-timer":
        setTimeout(() => {
          throw new Error("thrown from a timer");
        }, 0);
        await delay(50);
        break;
      case "stray-same-turn":
        void Promise.reject(new Error("dangling rejection"));
        throw new Error("body failed");
      case "stray-step":
        await t.step("step with a dangling rejection", () => {
          void Promise.reject(new Error("dangling rejection in step"));
          throw new Error("step failed");
        });
        break;
      case "stray-timeout":
        await new Promise(() => {});
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
  Deno.test(`check after ${kind} under ${fault}`, () => {
    const leftovers: string[] = [];
    if (Deno.env.get("ITKIT_FAULT_VAR") !== undefined) {
      leftovers.push("env ITKIT_FAULT_VAR");
    }
    if (globalThis.fetch !== originalFetch) {
      leftovers.push("globalThis.fetch patched");
    }
    // Whether this process still holds a socket listening there (from
    // /proc, which only a test with all permissions may read). Not by
    // connecting: the freed port may be another process's by now.
    for (const port of ports.splice(0)) {
      if (listenersHere(port).length > 0) {
        leftovers.push(`listening socket 127.0.0.1:${port}`);
      }
    }
    console.log(
      `LEFTOVERS ${kind} ${fault}: ${leftovers.length} ${leftovers.join(", ")}`,
    );
    assert.deepEqual(leftovers, []);
  });
}

// The parent kills the process at a random moment after this line (at most
// 1.5 s later; GNU timeout 2.5 s after the start). On a fast machine the
// tests above may all be done by then: the run must still be going, until
// the kill. The timer only keeps the event loop alive; if it ever fired, the
// kill never came, and the run fails here rather than passing.
if (faults.includes("sleep")) {
  console.log("READY module loaded");
  Deno.test("waits for the kill", async () => {
    await new Promise((resolve) => setTimeout(resolve, 600_000));
    throw new Error("no kill came in 10 minutes");
  });
}
