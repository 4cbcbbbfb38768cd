// Module-scoped fixtures: a counted fixture and a real HTTP server shared by
// three tests, a test-scoped fixture that depends on the module one, and a
// test that does not use them. ITKIT_VARIANT picks a fault:
//   "ok" (default), "setup-fails", "down" (its probe failed),
//   "last-ignored" (the last user is ignored), "first-fails" (the first user
//   fails), "dispose-fails" (its disposal throws).
// Every setup and disposal is appended to ITKIT_MARKER.
import assert from "node:assert/strict";
import {
  defineFixture,
  httpServer,
  integration,
  type ProbeResult,
} from "../../../mod.ts";
import { listenersHere } from "../../_shared/sockets.ts";

const variant = Deno.env.get("ITKIT_VARIANT") ?? "ok";
const marker = Deno.env.get("ITKIT_MARKER")!;
const mark = (line: string) =>
  Deno.writeTextFileSync(marker, line + "\n", { append: true });

interface Shared extends AsyncDisposable {
  readonly id: number;
}
let instances = 0;
const shared = defineFixture<undefined, Shared>({
  name: "shared",
  permissions: { write: [marker] },
  setup: () => {
    mark("setup");
    if (variant === "setup-fails") throw new Error("the backend did not start");
    const id = ++instances;
    return {
      id,
      [Symbol.asyncDispose]: () => {
        mark("dispose");
        if (variant === "dispose-fails") {
          return Promise.reject(new Error("the backend did not stop"));
        }
        return Promise.resolve();
      },
    };
  },
});

const down: ProbeResult = {
  ok: variant !== "down",
  name: "backend",
  target: "127.0.0.1:1",
  reason: "connection refused 127.0.0.1:1",
  durationMs: 0,
};
const backend = shared.fixture({ scope: "module", requires: [down] });
const app = httpServer.fixture({
  scope: "module",
  handler: () => new Response("pong"),
});
const perTest = defineFixture<undefined, Shared, { backend: Shared }>({
  name: "perTest",
  deps: ["backend"],
  setup: (_o, { deps }) => ({
    id: deps.backend.id,
    [Symbol.asyncDispose]: () => Promise.resolve(),
  }),
});

/** The module server's port, once a test used it. */
let appPort: number | undefined;

integration(
  "first user",
  { fixtures: { backend, app } },
  async (_t, { backend, app }) => {
    if (variant === "first-fails") throw new Error("first user failed");
    assert.equal(backend.id, 1);
    assert.equal(await (await fetch(app.url)).text(), "pong");
    appPort = app.port;
    console.log(`FIRST PORT ${app.port}`);
  },
);

integration("does not use it", () => {});

integration("second user", {
  fixtures: { backend, app, mine: perTest.fixture() },
  // Reads /proc (below), which Deno allows only with all permissions.
  permissions: "inherit",
}, async (_t, { backend, app, mine }) => {
  console.log(`APP LISTENER HELD ${listenersHere(app.port).length > 0}`);
  assert.equal(backend.id, 1);
  assert.equal(mine.id, 1);
  assert.equal(await (await fetch(app.url)).text(), "pong");
  console.log(`SECOND PORT ${app.port}`);
});

integration("last user", {
  ignore: variant === "last-ignored",
  fixtures: { backend },
}, (_t, { backend }) => {
  assert.equal(backend.id, 1);
});

// Whether this process holds a socket listening on the server's port, once
// the module's fixtures were disposed (Deno's afterAll hook): said as the
// process ends, with all permissions (only they may read /proc). Not by
// connecting: the freed port may be another process's by now.
globalThis.addEventListener("unload", () => {
  if (appPort !== undefined) {
    console.log(`APP LISTENER LEFT ${listenersHere(appPort).length > 0}`);
  }
});
