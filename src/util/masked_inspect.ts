// Internal: objects that hold secrets (configs, fixture handles, a client)
// print with the secrets masked: `console.log`, `Deno.inspect` and
// `node:util`'s `inspect` (which reads the same symbol). Not re-exported.

const CUSTOM_INSPECT = Symbol.for("Deno.customInspect");

/**
 * Makes `target` print as `view(target)` does, with the same inspect
 * options; a string view is printed as it is. The hook is a non-enumerable
 * property of `target` itself: `Object.keys`, `JSON.stringify`, spreading
 * and `assert.deepEqual` do not see it (so a spread copy prints plainly).
 *
 * @param target The object or function to mask; returned.
 * @param view What to print instead, given the object.
 * @returns `target`.
 */
export function maskInspect<T extends object>(
  target: T,
  view: (self: T) => unknown,
): T {
  if (!Object.isExtensible(target)) return target;
  Object.defineProperty(target, CUSTOM_INSPECT, {
    value(
      this: T,
      inspect: (value: unknown, options?: unknown) => string,
      options?: unknown,
    ): string {
      const shown = view(this);
      return typeof shown === "string" ? shown : inspect(shown, options);
    },
    configurable: true,
    writable: true,
    enumerable: false,
  });
  return target;
}

/**
 * Makes `target` print with the named fields shown as `***` (when set).
 *
 * @param target The object; returned.
 * @param fields The fields that hold secrets.
 * @returns `target`.
 */
export function maskFields<T extends object>(
  target: T,
  fields: readonly (keyof T & string)[],
): T {
  return maskInspect(target, (self) => {
    const shown: Record<string, unknown> = { ...self } as Record<
      string,
      unknown
    >;
    for (const field of fields) {
      if (shown[field] !== undefined && shown[field] !== "") {
        shown[field] = "***";
      }
    }
    return shown;
  });
}
