/**
 * A service's part of the sweep and of the leftover check: the spaces its
 * `sweep.list` finds, named by the toolkit's scheme.
 *
 * @module
 */

import { createdAt, isLeaseName, runIdOf } from "../run/naming.ts";
import type { StoreSweep, SweepCandidate } from "../run/sweep_store.ts";
import { maskUrl } from "../util/text.ts";
import { type AnyDefinition, definitionOf } from "./_registry.ts";

/**
 * The definition of a service, or a `TypeError` naming what was passed.
 *
 * @param service A value that should be a service.
 * @param where The start of the message.
 * @returns The definition.
 */
export function serviceDefinition(
  service: unknown,
  where: string,
): AnyDefinition {
  const def = definitionOf(service);
  if (!def) {
    throw new TypeError(
      `${where}: expected a service (the result of defineService()), got ${typeof service}`,
    );
  }
  return def;
}

async function connect(def: AnyDefinition, url: URL): Promise<unknown> {
  return def.connect ? await def.connect.open(url) : undefined;
}

/**
 * Lists a service's spaces for a sweep, then tells which runs hold a lease
 * there (its `lease.alive`; none without a lease).
 *
 * @param def The service.
 * @param url Its URL.
 * @returns Its part of the sweep.
 * @throws When it cannot be listed.
 */
export async function openServiceSweep(
  def: AnyDefinition,
  url: URL,
): Promise<StoreSweep> {
  const connection = await connect(def, url);
  let names: string[];
  try {
    names = await def.sweep.list(connection, url);
  } catch (error) {
    await def.connect?.close(connection);
    throw error;
  }
  const candidates: SweepCandidate[] = [];
  for (const name of new Set(names)) {
    const runId = runIdOf(name, "bucket");
    // A lease goes by itself (its holder lets it go, or it expires).
    if (runId === undefined || isLeaseName(name)) continue;
    candidates.push({
      what: `${def.name} ${name}`,
      runId,
      created: createdAt(name, "bucket")!,
      remove: () => def.isolation.remove({ url, name, connection }),
    });
  }
  return {
    candidates,
    async live(runIds): Promise<Set<string>> {
      if (!def.lease || runIds.size === 0) return new Set();
      return await def.lease.alive(connection, url, [...runIds]);
    },
    async close(): Promise<void> {
      await def.connect?.close(connection);
    },
  };
}

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
