// Internal: the parameters the bench sections pass their programs.

/**
 * @param name An environment variable the section sets (`BENCH_TESTS`).
 * @returns Its value, a whole number.
 * @throws {TypeError} When it is unset or not a whole number.
 */
export function envCount(name: string): number {
  const text = Deno.env.get(name) ?? "";
  const n = Number(text);
  if (text === "" || !Number.isSafeInteger(n) || n < 0) {
    throw new TypeError(
      `Cannot run the bench program: ${name} "${text}" is not a count (expected a whole number; its section in bench/sections/ sets it)`,
    );
  }
  return n;
}

/**
 * @param name An environment variable the section sets.
 * @param values What it may be.
 * @returns Its value.
 * @throws {TypeError} When it is none of `values`.
 */
export function envChoice<T extends string>(
  name: string,
  values: readonly T[],
): T {
  const text = Deno.env.get(name) ?? "";
  const value = values.find((v) => v === text);
  if (value === undefined) {
    throw new TypeError(
      `Cannot run the bench program: ${name} "${text}" is not a known value (expected one of ${
        values.join(", ")
      }; its section in bench/sections/ sets it)`,
    );
  }
  return value;
}
