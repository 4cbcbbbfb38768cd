/**
 * Object ids in the style of the payment provider's (`cus_…`, `in_…`).
 *
 * @module
 */

/**
 * A new id with `prefix`.
 *
 * @param prefix The object kind, e.g. `cus`.
 * @returns `<prefix>_<16 random hex digits>`.
 *
 * @example
 * ```ts
 * import { newId } from "./ids.ts";
 * console.log(newId("cus")); // cus_3f9a…
 * ```
 */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}_${
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}
