/**
 * Integration tests for Deno that clean up after themselves.
 *
 * `integration()` registers a `Deno.test` named `[integration] ...` (select
 * them with `deno test --filter integration`) that owns its fixtures, runs with
 * the union of their permissions and nothing more, is ignored with a visible
 * reason when a required service is down (or fails, with `ITKIT_REQUIRE=1`),
 * and disposes every fixture in reverse order whatever happens, timeouts
 * included.
 *
 * This entry point holds the core and the built-in fixtures. PostgreSQL is in
 * `@itkit/core/postgres`, S3 in `@itkit/core/s3`, local servers, the sweep and
 * the leftover check in `@itkit/core/services`.
 *
 * @example
 * ```ts ignore
 * import { fetchMock, integration, tmpDir } from "./mod.ts";
 *
 * integration("saves what the API returns", {
 *   fixtures: {
 *     dir: tmpDir.fixture(),
 *     api: fetchMock.fixture({
 *       routes: [{ url: "https://api.example.com/data", reply: { json: { result: "success" } } }],
 *     }),
 *   },
 * }, async (_t, { dir }) => {
 *   const data = await (await fetch("https://api.example.com/data")).json();
 *   await Deno.writeTextFile(dir.join("data.json"), JSON.stringify(data));
 * });
 * ```
 *
 * @module
 */

export {
  EXCLUDE_INTEGRATION_FILTER,
  integration,
} from "./src/core/integration.ts";
export type {
  FixtureRecord,
  IntegrationContext,
  IntegrationDefinition,
  IntegrationFn,
  IntegrationOptions,
  StepDefinition,
} from "./src/core/integration_types.ts";
export { group, type GroupOptions, type GroupTest } from "./src/core/group.ts";
export {
  defineFixture,
  type Fixture,
  type FixtureContext,
  type FixtureDefinition,
  type FixtureFactory,
  type FixtureScope,
} from "./src/core/fixture.ts";
export {
  type HttpProbeOptions,
  probe,
  probeHttp,
  type ProbeOptions,
  type ProbeResult,
  probeTcp,
} from "./src/core/probe.ts";
export { delay } from "./src/core/delay.ts";
export {
  FixtureError,
  IntegrationTimeoutError,
  ServiceUnavailableError,
  UncaughtInTestError,
} from "./src/core/errors.ts";
export { ReaperError } from "./src/run/reaper_error.ts";
export {
  type TmpDir,
  tmpDir,
  type TmpDirOptions,
} from "./src/fixtures/tmp_dir.ts";
export {
  env,
  type EnvFactory,
  type EnvHandle,
  type EnvOptions,
  type EnvVars,
  type FixtureValues,
} from "./src/fixtures/env.ts";
export {
  type FetchCall,
  type FetchMock,
  fetchMock,
  type FetchMockOptions,
  type FetchReply,
  type FetchRoute,
} from "./src/fixtures/fetch_mock.ts";
export {
  type AppReadiness,
  type AppServer,
  appServer,
  type AppServerFactory,
  type AppServerOptions,
} from "./src/fixtures/app_server.ts";
export {
  type HttpServer,
  httpServer,
  type HttpServerOptions,
} from "./src/fixtures/http_server.ts";
