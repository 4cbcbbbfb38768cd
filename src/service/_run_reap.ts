// Internal: how the reaper removes what is left of a run's spaces on a
// service whose spaces are removed inline (`isolation.removeInline`): every
// space `sweep.list` finds there named with the run's id.

import type { ReapedResource } from "../run/reaper.ts";
import { isLeaseName, runIdOf } from "../run/naming.ts";
import { findService } from "./registry.ts";
import { reaperConnection } from "./_reap.ts";

/** A run's spaces on a service, as registered with the reaper. */
export interface ReapedRun extends ReapedResource {
  /** The module that exports the service. */
  module: string;
  /** The service's name. */
  service: string;
  /** The service's URL. */
  url: string;
  /** The run. */
  runId: string;
}

/**
 * Removes every space of the run on the service.
 *
 * @param resource The registered run.
 * @throws With the names of the spaces that could not be removed.
 */
export async function reap(resource: ReapedRun): Promise<void> {
  const { module, service, url, runId } = resource;
  const def = await findService(module, service);
  const connection = await reaperConnection(def, url);
  const at = new URL(url);
  const names = await def.sweep.list(connection, at);
  const failed: string[] = [];
  for (const name of new Set(names)) {
    if (runIdOf(name, "bucket") !== runId || isLeaseName(name)) continue;
    try {
      await def.isolation.remove({ url: at, name, connection });
    } catch (error) {
      failed.push(`${name}: ${error}`);
    }
  }
  if (failed.length > 0) {
    throw new Error(`could not remove ${failed.join("; ")}`);
  }
}
