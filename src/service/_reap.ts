// Internal: how the reaper (src/run/_reaper_main.ts) removes a test's space
// on a service you define: it imports the module that exports the service,
// finds the service by name, and calls its `isolation.remove` on a connection
// of its own per service and URL, kept for the reaper's life.

import type { ReapedResource } from "../run/reaper.ts";
import type { LeaseResource } from "../run/lease.ts";
import { type AnyDefinition, findService } from "./registry.ts";

/** A space as registered with the reaper. */
export interface ReapedSpace extends ReapedResource {
  /** The module that exports the service. */
  module: string;
  /** The service's name. */
  service: string;
  /** The service's URL. */
  url: string;
  /** The space's name. */
  name: string;
}

/** A run's lease on a service, as the reaper holds it (_lease_reap.ts). */
export interface ServiceLeaseResource extends LeaseResource {
  /** The module that exports the service. */
  module: string;
  /** The service's name. */
  service: string;
  /** The service's URL. */
  url: string;
}

const connections = new Map<string, Promise<unknown>>();

/**
 * The reaper's connection to a service (opened once; a failed one is
 * opened again next time).
 *
 * @param def The service.
 * @param url Its URL.
 * @returns The connection.
 */
export function reaperConnection(
  def: AnyDefinition,
  url: string,
): Promise<unknown> {
  const key = `${def.name} ${url}`;
  let connection = connections.get(key);
  if (!connection) {
    connection = def.connect
      ? def.connect.open(new URL(url))
      : Promise.resolve(undefined);
    connection.catch(() => connections.delete(key));
    connections.set(key, connection);
  }
  return connection;
}

/**
 * Removes the space; one that was never made or is gone is no failure.
 *
 * @param resource The registered space.
 */
export async function reap(resource: ReapedSpace): Promise<void> {
  const { module, service, url, name } = resource;
  const def = await findService(module, service);
  const connection = await reaperConnection(def, url);
  await def.isolation.remove({ url: new URL(url), name, connection });
}
