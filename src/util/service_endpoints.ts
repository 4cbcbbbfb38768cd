// Internal: the origins of the toolkit's own services in this process, which
// the fetch mock never answers: every request to them goes out.

/** Live registrations per origin (`http://127.0.0.1:9000`). */
const origins = new Map<string, number>();

/**
 * Records `url`'s origin as one of the toolkit's services (the S3 endpoint
 * of its S3 clients, an `httpServer` fixture) until the returned function is
 * called. Registrations of one origin are counted.
 *
 * @param url A URL of the service.
 * @returns Ends this registration; idempotent.
 */
export function addServiceEndpoint(url: URL): () => void {
  const origin = url.origin;
  origins.set(origin, (origins.get(origin) ?? 0) + 1);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    const left = (origins.get(origin) ?? 1) - 1;
    if (left === 0) origins.delete(origin);
    else origins.set(origin, left);
  };
}

/**
 * Whether `url` is on one of the toolkit's services.
 *
 * @param url A request's URL.
 * @returns True when its origin is registered.
 */
export function isServiceEndpoint(url: URL): boolean {
  return origins.has(url.origin);
}
