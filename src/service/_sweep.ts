// Internal: a service's part of the sweep (services/sweep.ts runs every
// store's): the spaces its \`sweep.list\` finds, named by the toolkit's scheme.

import { createdAt, isLeaseName, runIdOf } from "../run/naming.ts";
import type { StoreSweep, SweepCandidate } from "../run/sweep_store.ts";
import type { AnyDefinition } from "./registry.ts";

/** Opens the service's connection (`undefined` for one without `connect`). */
export async function connect(def: AnyDefinition, url: URL): Promise<unknown> {
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
