/**
 * A service's part of the sweep and of the leftover check: the spaces its
 * `sweep.list` finds, named by the toolkit's scheme.
 *
 * @module
 */

import { runIdOf } from "../run/naming.ts";
import { maskUrl } from "../util/text.ts";
import { serviceDefinition } from "./registry.ts";
import { connect } from "./_sweep.ts";

/**
 * What a run left on a service: every space (and lease) named by the
 * toolkit's scheme, as `<service> <name>`. `cli.ts run` checks the servers it
 * started with it, after the run's reapers have finished.
 *
 * @param service The service.
 * @param url Its URL.
 * @returns One line per space.
 * @throws {TypeError} When `service` is not a service.
 *
 * @example
 * ```ts ignore
 * import { listServiceLeftovers } from "../../services.ts";
 * import { redis } from "../../redis.ts";
 *
 * await using server = await redis.start();
 * console.log(await listServiceLeftovers(redis, server.url)); // []
 * ```
 */
export async function listServiceLeftovers(
  service: unknown,
  url: string | URL,
): Promise<string[]> {
  const def = serviceDefinition(service, "Cannot list leftovers");
  const at = new URL(url);
  const connection = await connect(def, at);
  try {
    const names = await def.sweep.list(connection, at);
    return [...new Set(names)]
      .filter((name) => runIdOf(name, "bucket") !== undefined)
      .map((name) => `${def.name} ${name} at ${maskUrl(at.href)}`);
  } finally {
    await def.connect?.close(connection);
  }
}
