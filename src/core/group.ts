/**
 * Groups: a name prefix and shared options for the integration tests
 * registered inside, as `describe` gives in other runners. Each test is still
 * its own top-level `Deno.test`, so `--filter`, sharding and per-test
 * permissions keep working.
 *
 * @module
 */

import type { ProbeResult } from "./probe.ts";
import type {
  FixtureRecord,
  IntegrationFn,
  IntegrationOptions,
} from "./integration_types.ts";
import { integration } from "./integration.ts";
import { checkSharedOptions } from "./_options_check.ts";
import { withGroupOpen } from "./_open_groups.ts";

/** Options of {@linkcode group}, passed down to every test inside. */
export interface GroupOptions<G extends FixtureRecord> {
  /**
   * Probe results every test inside requires, before its own.
   *
   * @default {[]}
   */
  requires?: readonly ProbeResult[];
  /**
   * Permissions every test inside gets, merged with its own and its
   * fixtures'.
   *
   * @default {"none"}
   */
  permissions?: Deno.PermissionOptions;
  /**
   * The toolkit budget of every test inside that sets none of its own.
   *
   * @default {30000, or ITKIT_TIMEOUT}
   */
  timeout?: number;
  /**
   * Fixtures every test inside declares, before its own (a test's own
   * declaration of the same name wins). Declare one with `scope: "module"` to
   * share a single instance across the group's tests.
   *
   * @default {{}}
   */
  fixtures?: G;
  /**
   * Skip every test inside.
   *
   * @default {false}
   */
  ignore?: boolean;
}

/**
 * Registers a test inside a group; its body also receives the group's
 * fixtures, typed.
 */
export interface GroupTest<G extends FixtureRecord> {
  /**
   * Registers a test with a body.
   *
   * @param name The test's name; the group's name is put in front of it.
   * @param fn The body.
   */
  (name: string, fn: IntegrationFn<G>): void;
  /**
   * Registers a test with options.
   *
   * @param name The test's name; the group's name is put in front of it.
   * @param options Its own options, merged with the group's.
   * @param fn The body.
   */
  <F extends FixtureRecord = Record<string, never>>(
    name: string,
    options: IntegrationOptions<F>,
    fn: IntegrationFn<G & F>,
  ): void;
}

/**
 * Runs `body` synchronously; every integration test it registers (with the
 * `test` it receives, or with `integration()`) gets the group's name in front
 * of its own (`[integration] users > stores a user`) and the group's options:
 * `requires` and `fixtures` are added before the test's own, `permissions`
 * merged, `timeout` used when the test sets none. Groups nest.
 *
 * @param name The group's name.
 * @param options Options passed down to every test inside.
 * @param body Registers the tests, synchronously.
 * @throws {TypeError} For a bad name or options, or a body that returns a
 *   promise (tests must be registered while the module loads).
 *
 * @example
 * ```ts ignore
 * import { group, probeTcp, tmpDir } from "../../mod.ts";
 *
 * const api = await probeTcp("127.0.0.1", 8787, { timeout: 200 });
 *
 * group("reports", { requires: [api], fixtures: { dir: tmpDir.fixture() } }, (test) => {
 *   test("are written as text", async (_t, { dir }) => {
 *     await Deno.writeTextFile(dir.join("report.txt"), "ok");
 *   });
 * });
 * ```
 */
export function group<G extends FixtureRecord = Record<string, never>>(
  name: string,
  options: GroupOptions<G>,
  body: (test: GroupTest<G>) => void,
): void;
/**
 * Runs `body` synchronously, prefixing the name of every test it registers.
 *
 * @param name The group's name.
 * @param body Registers the tests, synchronously.
 * @throws {TypeError} For a bad name or a body that returns a promise.
 *
 * @example
 * ```ts ignore
 * import { group } from "../../mod.ts";
 *
 * group("math", (test) => {
 *   test("adds", () => {
 *     if (1 + 1 !== 2) throw new Error("broken");
 *   });
 * });
 * ```
 */
export function group(
  name: string,
  body: (test: GroupTest<Record<string, never>>) => void,
): void;
export function group<G extends FixtureRecord>(
  name: string,
  optionsOrBody: GroupOptions<G> | ((test: GroupTest<G>) => void),
  maybeBody?: (test: GroupTest<G>) => void,
): void {
  const [options, body] = typeof optionsOrBody === "function"
    ? [{} as GroupOptions<G>, optionsOrBody]
    : [optionsOrBody, maybeBody];
  if (typeof name !== "string" || name.trim() === "") {
    throw new TypeError("Cannot define group: name must be a non-empty string");
  }
  const where = `Cannot define group "${name}"`;
  if (typeof body !== "function") {
    throw new TypeError(
      `${where}: expected a body function as the last argument`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where}: options must be an object`);
  }
  checkSharedOptions(where, options);
  const test = ((
    testName: string,
    optionsOrFn: IntegrationOptions<FixtureRecord> | IntegrationFn<G>,
    fn?: IntegrationFn<FixtureRecord>,
  ) => {
    if (typeof optionsOrFn === "function") {
      integration(testName, optionsOrFn as IntegrationFn<FixtureRecord>);
    } else {
      integration(testName, optionsOrFn, fn as IntegrationFn<FixtureRecord>);
    }
  }) as GroupTest<G>;
  const result: unknown = withGroupOpen(
    name,
    options as GroupOptions<FixtureRecord>,
    () => body(test),
  );
  if (result instanceof Promise) {
    result.catch(() => {});
    throw new TypeError(
      `${where}: the body returned a promise; register tests synchronously (await probes at the top level of the module, before the group)`,
    );
  }
}
