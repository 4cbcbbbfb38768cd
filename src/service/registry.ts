// Internal (not re-exported; cli.ts uses it): how the toolkit finds a
// service's definition: behind a symbol on the service (`Symbol.for`, so a
// second copy of the toolkit finds it too), and, in another process (the
// reaper, the sweep, `cli.ts --service`), by importing the module the
// definition names and looking through its exports.

import type { ServiceDefinition } from "./definition.ts";

/** The key of a service's definition. */
export const DEFINITION: unique symbol = Symbol.for(
  "itkit.service.definition",
) as never;

/** A definition of any service (the toolkit's own code handles them alike). */
// deno-lint-ignore no-explicit-any
export type AnyDefinition = ServiceDefinition<any, any, any, any>;

/**
 * The definition behind a service, or `undefined` for anything else.
 *
 * @param value A value, e.g. a module's export.
 * @returns Its definition.
 */
export function definitionOf(value: unknown): AnyDefinition | undefined {
  if (
    (typeof value !== "function" && typeof value !== "object") ||
    value === null
  ) {
    return undefined;
  }
  return (value as { [DEFINITION]?: AnyDefinition })[DEFINITION];
}

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

/**
 * The services a module exports.
 *
 * @param module The module's namespace.
 * @returns Each exported service once.
 */
export function servicesIn(module: Record<string, unknown>): unknown[] {
  const found: unknown[] = [];
  for (const value of Object.values(module)) {
    if (definitionOf(value) && !found.includes(value)) found.push(value);
  }
  return found;
}

const imported = new Map<string, Promise<AnyDefinition>>();

/**
 * Imports `module` and finds the service called `name` among its exports.
 *
 * @param module The module's URL (the definition's `module`).
 * @param name The service's name.
 * @returns Its definition.
 * @throws When the module cannot be loaded or exports no such service.
 */
export function findService(
  module: string,
  name: string,
): Promise<AnyDefinition> {
  const key = `${module} ${name}`;
  let found = imported.get(key);
  if (!found) {
    found = (async () => {
      const exports = await import(module) as Record<string, unknown>;
      for (const value of Object.values(exports)) {
        const definition = definitionOf(value);
        if (definition?.name === name) return definition;
      }
      throw new Error(
        `Cannot find service "${name}": ${module} exports no service of that name (its definition's \`module\` must be the module that exports it)`,
      );
    })();
    imported.set(key, found);
  }
  return found;
}
