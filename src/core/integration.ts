/**
 * `integration()`: a `Deno.test` that owns fixtures, runs with the union of
 * their permissions, is ignored (or fails, in require mode) when a required
 * service is down, and always cleans up, even after a timeout.
 *
 * @module
 */

import type {
  FixtureRecord,
  IntegrationDefinition,
  IntegrationFn,
  IntegrationOptions,
} from "./integration_types.ts";
import { checkSharedOptions } from "./_options_check.ts";
import { mergePermissions } from "./permissions.ts";
import { orderFixtures } from "./_scope.ts";
import { runTest } from "./_run.ts";
import {
  holdWhileInterrupted,
  installInterruptHandlers,
  isInterrupted,
} from "./_interrupt.ts";
import { bindModuleFixtures } from "./_module_scope.ts";
import { endLoadHold, needsExclusive } from "../util/env_lock.ts";
import { inGroups } from "./_open_groups.ts";
import { atLocation, callerLocation } from "./_location.ts";
import { escalationOf } from "./not_capable.ts";
import { auditMark, auditRegistration, isAuditing } from "./_audit.ts";
import { ServiceUnavailableError } from "./errors.ts";
import { defaultTestTimeout, isRequireMode } from "../run/settings.ts";
import { shardOf } from "../run/shard.ts";
import { recordIgnored } from "../run/summary.ts";
import { atModuleLoad, noteTestStarted } from "./_module_load.ts";

/** The prefix every integration test's name carries; `--filter integration` matches it. */
const INTEGRATION_MARKER = "[integration]";

/**
 * A `deno test --filter` value that selects every test **except** the
 * integration tests: names that do not start with `[integration] `. Deno's
 * regular expressions have no look-ahead, hence the spelled-out form.
 *
 * @example
 * ```ts
 * import { EXCLUDE_INTEGRATION_FILTER } from "../../mod.ts";
 *
 * // deno test --filter "<this value>"
 * console.log(EXCLUDE_INTEGRATION_FILTER);
 * ```
 */
export const EXCLUDE_INTEGRATION_FILTER: string = excludePrefixRegex(
  `${INTEGRATION_MARKER} `,
);

/**
 * Registers an integration test: one top-level `Deno.test`, registered
 * synchronously, named `[integration] <name>`.
 *
 * @param name The test's name.
 * @param fn The body: `(t, fixtures) => ...`.
 * @throws {TypeError} For bad options or fixture declarations.
 * @throws {Error} When called after the test module finished loading (Deno
 *   would drop such a test silently).
 *
 * @example Name and body
 * ```ts ignore
 * import { integration } from "../../mod.ts";
 *
 * integration("adds numbers", () => {
 *   if (1 + 1 !== 2) throw new Error("math is broken");
 * });
 * ```
 */
export function integration<F extends FixtureRecord = Record<string, never>>(
  name: string,
  fn: IntegrationFn<F>,
): void;
/**
 * Registers an integration test with options.
 *
 * @param name The test's name.
 * @param options Fixtures, required services, permissions, timeout, Deno options.
 * @param fn The body: `(t, fixtures) => ...`.
 * @throws {TypeError} For bad options or fixture declarations.
 * @throws {Error} When called after the test module finished loading.
 *
 * @example Fixtures, a required service and a timeout
 * ```ts ignore
 * import { integration, probeHttp, tmpDir } from "../../mod.ts";
 *
 * const api = await probeHttp("http://127.0.0.1:8787/health", { timeout: 200 });
 *
 * integration("exports a report", {
 *   fixtures: { dir: tmpDir.fixture() },
 *   requires: [api],
 *   timeout: 5_000,
 * }, async (t, { dir }) => {
 *   await Deno.writeTextFile(`${dir.path}/report.txt`, "ok", { signal: t.signal });
 * });
 * ```
 */
export function integration<F extends FixtureRecord = Record<string, never>>(
  name: string,
  options: IntegrationOptions<F>,
  fn: IntegrationFn<F>,
): void;
/**
 * Registers an integration test defined as one object.
 *
 * @param definition Name, body and options.
 * @throws {TypeError} For bad options or fixture declarations.
 * @throws {Error} When called after the test module finished loading.
 *
 * @example
 * ```ts ignore
 * import { env, integration } from "../../mod.ts";
 *
 * integration({
 *   name: "reads its configuration",
 *   fixtures: { vars: env.fixture({ vars: { APP_MODE: "test" } }) },
 *   fn: () => {
 *     if (Deno.env.get("APP_MODE") !== "test") throw new Error("not set");
 *   },
 * });
 * ```
 */
export function integration<F extends FixtureRecord = Record<string, never>>(
  definition: IntegrationDefinition<F>,
): void;
export function integration<F extends FixtureRecord>(
  nameOrDefinition: string | IntegrationDefinition<F>,
  optionsOrFn?: IntegrationOptions<F> | IntegrationFn<F>,
  maybeFn?: IntegrationFn<F>,
): void {
  const definition = inGroups(
    normalize(nameOrDefinition, optionsOrFn, maybeFn),
  );
  const { name } = definition;
  if (!atModuleLoad()) {
    throw new Error(
      `Cannot register integration test "${name}": the test module has already finished loading, and Deno would silently drop a test registered now. Call integration() at the top level of the module; await probes at top level and pass their results in \`requires\`.`,
    );
  }
  validateOptions(definition);
  // Deno would report the toolkit's Deno.test call as every test's place.
  const location = callerLocation();
  installInterruptHandlers();
  const fixtures = (definition.fixtures ?? {}) as FixtureRecord;
  const ordered = orderFixtures(name, fixtures);
  const testScoped = ordered.filter((f) => f.fixture.scope === "test");
  const stepScoped = ordered.filter((f) => f.fixture.scope === "step");
  const declared = testPermissions([
    ...ordered.map((f) => f.fixture.permissions),
    definition.permissions ?? "none",
  ]);
  let permissions = declared;
  // Deno fails a test that asks for more than its process has before it
  // starts, naming nothing: fail it ourselves, saying what to give deno test.
  const escalation = declared === "none" || declared === "inherit"
    ? undefined
    : escalationOf(`${INTEGRATION_MARKER} ${name}`, [
      ...ordered.map((f) => ({
        source: `fixture "${f.name}" (${f.fixture.kind})`,
        permissions: f.fixture.permissions,
      })),
      {
        source: "its `permissions` option",
        permissions: definition.permissions,
      },
    ]);
  if (escalation) permissions = "none";
  // Under `cli.ts permissions --audit`, a test runs with the process's
  // permissions, to its end, and marks its start and end in Deno's log.
  const audit = isAuditing()
    ? auditRegistration(`${INTEGRATION_MARKER} ${name}`, location, declared)
    : undefined;
  if (audit !== undefined) permissions = "inherit";

  // Read at every registration, so that a malformed ITKIT_REQUIRE (or
  // ITKIT_TIMEOUT) is an error at load even when every service is up.
  const requireMode = isRequireMode();
  if (definition.timeout === undefined) defaultTestTimeout();
  const unavailable = [
    ...(definition.requires ?? []),
    ...ordered.flatMap((f) => f.fixture.requires ?? []),
  ]
    .filter((result, i, all) => !result.ok && all.indexOf(result) === i)
    .map((result) =>
      // A custom probe's target is its name: say it once.
      `${
        result.target === result.name
          ? result.name
          : `${result.name} ${result.target}`
      }: ${result.reason}`
    );
  let fullName = `${INTEGRATION_MARKER} ${name}`;
  let ignore = definition.ignore ?? false;
  const shard = shardOf(fullName);
  if (!shard.included && !ignore) {
    ignore = true;
    fullName += ` (ignored: ${shard.reason})`;
  } else if (unavailable.length > 0 && !requireMode && !ignore) {
    ignore = true;
    recordIgnored(fullName, unavailable.join("; "));
    fullName += ` (ignored: ${unavailable.join("; ")})`;
  }
  const moduleScoped = bindModuleFixtures(name, ordered, !ignore);
  // With an env fixture, no other module's test runs (--parallel).
  const exclusive = ordered.some((f) => needsExclusive(f.fixture));

  const test: Deno.TestDefinition = {
    name: fullName,
    ignore,
    permissions,
    fn: atLocation(async (t: Deno.TestContext) => {
      noteTestStarted();
      // The process is ending by a signal: neither start nor finish a test.
      if (isInterrupted()) await holdWhileInterrupted;
      if (unavailable.length > 0) {
        throw new ServiceUnavailableError(unavailable);
      }
      if (escalation && audit === undefined) throw escalation;
      if (audit !== undefined) auditMark("begin", audit);
      endLoadHold();
      try {
        // Takes the env lock first, within the test's budget.
        await runTest(
          t,
          definition,
          moduleScoped,
          testScoped,
          stepScoped,
          exclusive,
        );
      } finally {
        if (audit !== undefined) auditMark("end", audit);
        if (isInterrupted()) await holdWhileInterrupted;
      }
    }, location),
  };
  for (
    const key of [
      "only",
      "sanitizeOps",
      "sanitizeResources",
      "sanitizeExit",
      "retry",
      "repeats",
    ] as const
  ) {
    if (definition[key] !== undefined) {
      (test as unknown as Record<string, unknown>)[key] = definition[key];
    }
  }
  Deno.test(test);
}

/**
 * The union of a test's permission declarations. One object among "none"s
 * (a test with one fixture) is merged once per object: a module may declare
 * hundreds of tests with one fixture whose factory shares its object.
 */
function testPermissions(
  declarations: (Deno.PermissionOptions | undefined)[],
): Deno.PermissionOptions {
  const objects = declarations.filter((d) => d !== undefined && d !== "none");
  const single = objects.length === 1 && typeof objects[0] === "object"
    ? objects[0]
    : undefined;
  if (single === undefined) return mergePermissions(declarations);
  let merged = mergedAlone.get(single);
  if (merged === undefined) {
    merged = mergePermissions([single]);
    mergedAlone.set(single, merged);
  }
  return merged;
}
const mergedAlone = new WeakMap<
  Deno.PermissionOptionsObject,
  Deno.PermissionOptions
>();

function normalize<F extends FixtureRecord>(
  nameOrDefinition: string | IntegrationDefinition<F>,
  optionsOrFn?: IntegrationOptions<F> | IntegrationFn<F>,
  maybeFn?: IntegrationFn<F>,
): IntegrationDefinition<F> {
  if (typeof nameOrDefinition === "string") {
    if (typeof optionsOrFn === "function") {
      if (maybeFn !== undefined) {
        throw new TypeError(
          `Cannot register integration test "${nameOrDefinition}": the second argument is a function, so there must be no third`,
        );
      }
      return { name: nameOrDefinition, fn: optionsOrFn };
    }
    if (typeof maybeFn !== "function") {
      throw new TypeError(
        `Cannot register integration test "${nameOrDefinition}": expected a test function as the last argument`,
      );
    }
    if (optionsOrFn !== undefined && typeof optionsOrFn !== "object") {
      throw new TypeError(
        `Cannot register integration test "${nameOrDefinition}": options must be an object`,
      );
    }
    return { ...optionsOrFn, name: nameOrDefinition, fn: maybeFn };
  }
  if (typeof nameOrDefinition !== "object" || nameOrDefinition === null) {
    throw new TypeError(
      "Cannot register integration test: expected a name or a definition object",
    );
  }
  return nameOrDefinition;
}

function validateOptions<F extends FixtureRecord>(
  definition: IntegrationDefinition<F>,
): void {
  const where = `Cannot register integration test "${definition.name}"`;
  if (typeof definition.name !== "string" || definition.name.trim() === "") {
    throw new TypeError(
      "Cannot register integration test: name must be a non-empty string",
    );
  }
  if (typeof definition.fn !== "function") {
    throw new TypeError(`${where}: fn must be a function`);
  }
  checkSharedOptions(where, definition);
}

/** A regex (as a `/.../` filter) matching names that do not start with `prefix`. */
function excludePrefixRegex(prefix: string): string {
  const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  const escapeClass = (c: string) => c.replace(/[\\\]^[-]/g, "\\$&");
  const branches: string[] = [];
  for (const [i, c] of prefix.split("").entries()) {
    branches.push(`${escape(prefix.slice(0, i))}[^${escapeClass(c)}]`);
  }
  branches.push(`.{0,${prefix.length - 1}}$`);
  return `/^(?:${branches.join("|")})/`;
}
