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

export * from "./src/integration.ts";
export * from "./src/fixture.ts";
export * from "./src/permissions.ts";
export * from "./src/probe.ts";
export * from "./src/errors.ts";
export * from "./src/shard.ts";
export * from "./src/summary.ts";
export * from "./src/fixtures/tmp_dir.ts";
export * from "./src/fixtures/env.ts";
export * from "./src/fixtures/fetch_mock.ts";
export * from "./src/fixtures/http_server.ts";
export * from "./src/delay.ts";
export * from "./src/s3_config.ts";
export * from "./src/s3_probe.ts";
export * from "./src/postgres_config.ts";
export * from "./src/postgres_probe.ts";
export * from "./src/fixtures/s3_bucket.ts";
export * from "./src/fixtures/postgres_database.ts";
export * from "./src/services/postgres_server.ts";
export * from "./src/services/s3rver_server.ts";
export type { Sql } from "postgres";
export * from "./src/services/provision.ts";
export * from "./src/services/leftovers.ts";
export * from "./src/services/pglite_server.ts";
export * from "./src/services/local_services.ts";
export * from "./src/services/sweep.ts";
