/**
 * Your own services, with the toolkit's guarantees: define how to start one
 * on loopback, how to know it is up, how to give each test a space of its own
 * and remove it, how to find what a crashed run left, and what its client
 * needs; get a fixture, a probe, throwaway servers for `cli.ts run --service`,
 * the reaper, the sweep and the leftover check. `@itkit/core/redis` is built
 * on this module only.
 *
 * @example
 * ```ts ignore
 * import { integration } from "./mod.ts";
 * import { defineService } from "./service.ts";
 *
 * export const kv = defineService<{ prefix: string }>({
 *   name: "kv",
 *   module: import.meta.url,
 *   env: "KV_URL",
 *   isolation: {
 *     create: ({ name }) => ({ prefix: `${name}/` }),
 *     remove: () => Promise.resolve(false),
 *   },
 *   sweep: { list: () => Promise.resolve([]) },
 * });
 *
 * const up = await kv.probe();
 * integration("uses its own keys", {
 *   requires: [up],
 *   fixtures: { space: kv.fixture() },
 * }, (_t, { space }) => {
 *   console.log(space.prefix);
 * });
 * ```
 *
 * @module
 */

export {
  defineService,
  type Service,
  type ServiceFixtureOptions,
  type ServiceProbeOptions,
  type ServiceSpace,
  type ServiceSpaceHandle,
} from "./src/service/define.ts";
export type {
  ServiceConnect,
  ServiceDefinition,
  ServiceIsolation,
  ServiceLease,
  ServiceLeaseContext,
  ServiceRemoveContext,
  ServiceResetContext,
  ServiceSpaceContext,
  ServiceStart,
  ServiceSweep,
} from "./src/service/definition.ts";
export type {
  ServiceServer,
  ServiceStartOptions,
} from "./src/service/launch.ts";
