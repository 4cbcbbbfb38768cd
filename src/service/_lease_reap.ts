// Internal: how the reaper holds a run's lease on a service you define (see
// src/run/lease.ts): taken as a resource made ahead (`create`), held again
// every third of the ttl, and let go (`reap`) after the run's spaces there.

import { leaseBucket } from "../run/naming.ts";
import { leaseTtl } from "../run/settings.ts";
import { findService } from "./registry.ts";
import { reaperConnection, type ServiceLeaseResource } from "./_reap.ts";
import type { ServiceLease, ServiceLeaseContext } from "./definition.ts";

const timers = new Map<string, ReturnType<typeof setInterval>>();

/** The service's lease hooks, and what they receive for this lease. */
async function contextOf(
  resource: ServiceLeaseResource,
): Promise<
  { hooks: ServiceLease<unknown>; context: ServiceLeaseContext<unknown> }
> {
  const def = await findService(resource.module, resource.service);
  if (!def.lease) throw new Error(`service ${def.name} holds no lease`);
  return {
    hooks: def.lease,
    context: {
      url: new URL(resource.url),
      connection: await reaperConnection(def, resource.url),
      runId: resource.runId,
      name: leaseBucket(resource.runId),
      ttl: leaseTtl(),
    },
  };
}

/**
 * Takes the lease, and holds it again every third of the ttl until
 * {@linkcode reap}.
 *
 * @param resource The lease.
 */
export async function create(lease: ServiceLeaseResource): Promise<void> {
  const { hooks, context } = await contextOf(lease);
  await hooks.hold(context);
  const key = `${lease.service} ${lease.url} ${lease.runId}`;
  timers.set(
    key,
    setInterval(() => {
      hooks.hold(context).catch(() => {}); // the next one tries again
    }, Math.max(context.ttl / 3, 100)),
  );
}

/**
 * Lets the lease go.
 *
 * @param resource The lease.
 */
export async function reap(lease: ServiceLeaseResource): Promise<void> {
  const key = `${lease.service} ${lease.url} ${lease.runId}`;
  clearInterval(timers.get(key));
  timers.delete(key);
  const { hooks, context } = await contextOf(lease);
  await hooks.release(context);
}
