// The app under test as a fixture (appServer): a Deno server started with the
// test's temp dir in its environment. APP_CASE picks what the test does:
// pass, fail (an assertion fails: the app's output is printed), timeout (the
// test runs out of its budget), hang (prints READY, then waits to be killed),
// crash (the app exits before it answers). Each prints the app's pid and its
// child's (SPAWN_CHILD=1) on a PIDS line.
import assert from "node:assert/strict";
import { appServer, integration, type TmpDir, tmpDir } from "../../../mod.ts";

const which = Deno.env.get("APP_CASE") ?? "pass";
const ignoreTerm = Deno.env.get("IGNORE_TERM") === "1";
const app = new URL("./_app.ts", import.meta.url).pathname;

integration(`app server: ${which}`, {
  timeout: which === "timeout" ? 3_000 : 60_000,
  fixtures: {
    dir: tmpDir.fixture(),
    app: appServer.fixture<{ dir: TmpDir }>({
      command: [
        "deno",
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-run",
        app,
      ],
      env: ({ dir }) => ({
        DATA_DIR: dir.path,
        GREETING: "hello",
        SPAWN_CHILD: "1",
        ...(which === "crash" ? { EXIT_AT_START: "1" } : {}),
        ...(ignoreTerm ? { IGNORE_TERM: "1" } : {}),
      }),
      ready: { http: "/health" },
      stopTimeout: 1_000,
    }),
  },
}, async (_t, { dir, app }) => {
  const env = await (await fetch(new URL("/env", app.url))).json();
  assert.deepEqual(env, {
    DATA_DIR: dir.path,
    GREETING: "hello",
    PORT: String(app.port),
  });
  const child = /app child (\d+)/.exec(app.output())?.[1];
  console.log(`PIDS ${app.pid} ${child}`);
  await (await fetch(new URL("/marker-of-this-test", app.url))).body?.cancel();
  if (which === "fail") assert.equal(env.GREETING, "goodbye");
  if (which === "timeout") await new Promise(() => setInterval(() => {}, 1000));
  if (which === "hang") {
    console.log("READY");
    await new Promise(() => setInterval(() => {}, 1000));
  }
});
