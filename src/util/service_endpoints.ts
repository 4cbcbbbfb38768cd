// Internal: what the fetch mock lets go out for the toolkit's own services in
// this process. Two rules:
// - a request of one of the toolkit's own S3 clients (it carries
//   TOOLKIT_CLIENT_HEADER with this process's token), and any request to a
//   live `httpServer` fixture, goes out before any route: the fixtures keep
//   working whatever the routes say;
// - an S3 store's origin, while a toolkit S3 client of it lives, is a
//   pass-through target: a request of the test's own (the app's client,
//   `fetch`) to it is answered by a route that matches, and goes out when
//   none does. A probe's client lives for the probe only: the store stays
//   mockable after it.

/** Live registrations per origin (`http://127.0.0.1:9000`), by rule. */
const services = new Map<string, number>();
const stores = new Map<string, number>();

/** The header that marks a request of a toolkit S3 client. */
export const TOOLKIT_CLIENT_HEADER = "x-itkit-client";

/** Its value in this process: no other code sends it by chance. */
export const TOOLKIT_CLIENT_TOKEN: string = crypto.randomUUID();

function add(origins: Map<string, number>, url: URL): () => void {
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
 * Records `url`'s origin as one of the toolkit's services (a live
 * `httpServer` fixture) until the returned function is called: every
 * request to it goes out. Registrations of one origin are counted.
 *
 * @param url A URL of the service.
 * @returns Ends this registration; idempotent.
 */
export function addServiceEndpoint(url: URL): () => void {
  return add(services, url);
}

/**
 * Records `url`'s origin as an S3 store a toolkit client uses until the
 * returned function is called (the client is destroyed): a request to it
 * that no route answers goes out.
 *
 * @param url The store's endpoint.
 * @returns Ends this registration; idempotent.
 */
export function addStoreEndpoint(url: URL): () => void {
  return add(stores, url);
}

/**
 * Whether `request` goes out before any route: it is a toolkit S3 client's,
 * or to a live `httpServer` fixture.
 *
 * @param request The request.
 * @param url Its URL, parsed.
 * @returns True to let it go out, unlogged.
 */
export function isToolkitRequest(request: Request, url: URL): boolean {
  return services.has(url.origin) ||
    request.headers.get(TOOLKIT_CLIENT_HEADER) === TOOLKIT_CLIENT_TOKEN;
}

/**
 * Whether `url` is on an S3 store a toolkit client of this process uses.
 *
 * @param url A request's URL.
 * @returns True when its origin is registered.
 */
export function isStoreEndpoint(url: URL): boolean {
  return stores.has(url.origin);
}
