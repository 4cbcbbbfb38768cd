/**
 * Permission declarations and the union rule used by {@linkcode integration}.
 *
 * @module
 */

/** The permission kinds a fixture or a test can declare. */
export type PermissionName = keyof Deno.PermissionOptionsObject;

const KINDS: readonly PermissionName[] = [
  "env",
  "ffi",
  "import",
  "net",
  "read",
  "run",
  "sys",
  "write",
];

type Grant = "inherit" | boolean | Array<string | URL>;

/**
 * Merges permission declarations into the single set a test runs with.
 *
 * Rules, kind by kind (`read`, `write`, `net`, `env`, `run`, `sys`, `ffi`,
 * `import`):
 * - `"inherit"` anywhere wins: the test keeps the process's grant for that kind;
 * - otherwise `true` anywhere grants the whole kind;
 * - otherwise the lists are joined and deduplicated (`net: ["127.0.0.1:5432"]`
 *   plus `net: ["127.0.0.1:9000"]` grants both);
 * - `false`, an empty list or no mention grants nothing.
 *
 * A whole declaration of `"inherit"` makes the result `"inherit"`; `"none"`
 * adds nothing. When nothing grants anything the result is `"none"`: a test
 * with no fixtures and no `permissions` option runs with no permissions at all.
 *
 * @param declarations The fixtures' declarations and the test's own option.
 * @returns The union, ready for `Deno.test`'s `permissions`.
 *
 * @example Two fixtures' network grants are joined
 * ```ts
 *
 * const merged = mergePermissions([
 *   { net: ["127.0.0.1:5432"], env: ["DATABASE_URL"] },
 *   { net: ["127.0.0.1:9000"] },
 *   "none",
 * ]);
 * // { env: ["DATABASE_URL"], net: ["127.0.0.1:5432", "127.0.0.1:9000"] }
 * console.log(merged);
 * ```
 */
export function mergePermissions(
  declarations: readonly (Deno.PermissionOptions | undefined)[],
): Deno.PermissionOptions {
  if (declarations.includes("inherit")) return "inherit";
  const merged: Record<string, Grant | undefined> = {};
  for (const declaration of declarations) {
    if (declaration === undefined || declaration === "none") continue;
    if (typeof declaration !== "object" || declaration === null) {
      throw new TypeError(
        `Cannot merge permissions: expected "inherit", "none" or an object, got ${
          JSON.stringify(declaration)
        }`,
      );
    }
    for (const [kind, grant] of Object.entries(declaration)) {
      if (!KINDS.includes(kind as PermissionName)) {
        throw new TypeError(
          `Cannot merge permissions: unknown permission kind "${kind}" (expected one of ${
            KINDS.join(", ")
          })`,
        );
      }
      merged[kind] = mergeGrant(kind, merged[kind], grant as Grant | undefined);
    }
  }
  const result: Deno.PermissionOptionsObject = {};
  let any = false;
  for (const kind of KINDS) {
    const grant = merged[kind];
    if (grant === undefined || grant === false) continue;
    if (Array.isArray(grant) && grant.length === 0) continue;
    (result as Record<string, Grant | undefined>)[kind] = grant;
    any = true;
  }
  return any ? result : "none";
}

function mergeGrant(
  kind: string,
  current: Grant | undefined,
  next: Grant | undefined,
): Grant | undefined {
  if (next === undefined) return current;
  if (next !== "inherit" && typeof next !== "boolean" && !Array.isArray(next)) {
    throw new TypeError(
      `Cannot merge permissions: "${kind}" must be "inherit", a boolean or a list, got ${
        JSON.stringify(next)
      }`,
    );
  }
  if (current === "inherit" || next === "inherit") return "inherit";
  if (current === true || next === true) return true;
  const list = [
    ...(Array.isArray(current) ? current : []),
    ...(Array.isArray(next) ? next : []),
  ];
  const seen = new Set<string>();
  const unique: Array<string | URL> = [];
  for (const item of list) {
    const key = item instanceof URL ? item.href : item;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(item);
  }
  return unique;
}
