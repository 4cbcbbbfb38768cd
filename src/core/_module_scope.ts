// Internal: module-scoped fixtures. Each declaration object with
// `scope: "module"` is set up once per test module, by a test of its own
// registered just before the first test that declares it (so no user test sees
// its resources appear), shared by every test that declares it, and disposed by
// a test registered when the module has loaded (it runs after the module's
// last test). When those tests do not run (filtered out, `--fail-fast`), the
// first user sets it up and the process disposes it before it exits.

import type { Fixture } from "./fixture.ts";
import { FixtureScopeRun, type NamedFixture } from "./_scope.ts";
import { FixtureError, ServiceUnavailableError } from "./errors.ts";
import { mergePermissions } from "./permissions.ts";
import { isRequireMode } from "../run/settings.ts";
import { describe } from "../util/text.ts";
import { onInterruptDisposeModule } from "./_interrupt.ts";
import { withSharedHold } from "./_env_lock.ts";

/** One module-scoped declaration in this module. */
export interface ModuleFixture {
  /** Its name in the test that declared it first. */
  readonly name: string;
  readonly fixture: Fixture;
  /** The module-scoped fixtures it depends on, by dependency name. */
  readonly deps: ReadonlyMap<string, ModuleFixture>;
  /** Tests that declare it and are not ignored. */
  users: number;
  /** Its setup, once: resolves to its value, or rejects with a FixtureError. */
  started?: Promise<unknown>;
}

const declared = new Map<Fixture, ModuleFixture>();
/** Every module fixture set up so far, disposed in reverse order. */
let scope: FixtureScopeRun | undefined;
let closed: Promise<FixtureError[]> | undefined;
let teardownRegistered = false;

/**
 * Binds a test's module-scoped fixtures to this module's instances. Registers
 * the setup test for the ones seen for the first time (before the test that
 * declares them), and the disposal test once.
 *
 * @returns Each of the test's module-scoped fixtures by its declared name.
 * @throws {TypeError} When a module fixture is declared with dependencies
 *   under names that point at other fixtures than where it was first declared.
 */
export function bindModuleFixtures(
  test: string,
  ordered: NamedFixture[],
  active: boolean,
): Map<string, ModuleFixture> {
  const bound = new Map<string, ModuleFixture>();
  const fresh: ModuleFixture[] = [];
  for (const { name, fixture, deps: names } of ordered) {
    if (fixture.scope !== "module") continue;
    let state = declared.get(fixture);
    if (!state) {
      const deps = new Map<string, ModuleFixture>();
      for (const dep of names) deps.set(dep, bound.get(dep)!);
      state = { name, fixture, deps, users: 0 };
      declared.set(fixture, state);
      fresh.push(state);
    } else {
      for (const [dep, target] of state.deps) {
        if (bound.get(dep) !== target) {
          throw new TypeError(
            `Cannot register integration test "${test}": module-scoped fixture "${name}" (${fixture.kind}) depends on "${dep}", which must be the same module-scoped declaration as where "${state.name}" was first declared`,
          );
        }
      }
    }
    if (active) state.users++;
    bound.set(name, state);
  }
  if (fresh.length > 0) registerSetup(fresh);
  if (!teardownRegistered && bound.size > 0) registerTeardown();
  return bound;
}

/**
 * The values of a test's module-scoped fixtures, setting them up if their
 * setup test did not run. A fixture whose setup failed fails every test that
 * declares it with the same error; it is not retried.
 */
export async function moduleValues(
  bound: Map<string, ModuleFixture>,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const [name, state] of bound) values[name] = await start(state);
  return values;
}

function start(state: ModuleFixture): Promise<unknown> {
  state.started ??= (async () => {
    if (closed) {
      throw new FixtureError(
        state.name,
        state.fixture.kind,
        "setup",
        new Error("the module's fixtures were already disposed"),
      );
    }
    const deps: Record<string, unknown> = {};
    for (const [dep, target] of state.deps) deps[dep] = await start(target);
    const one = new FixtureScopeRun(deps);
    await one.setup([{
      name: state.name,
      fixture: state.fixture,
      deps: [...state.deps.keys()],
    }], never);
    // The module's scope takes over its disposal, in setup order.
    (scope ??= new FixtureScopeRun()).adopt(one);
    const value = one.values[state.name];
    return value;
  })();
  // A failed setup is reported by each test that awaits it.
  state.started.catch(() => {});
  return state.started;
}

const never = new AbortController().signal;

function permissionsOf(
  states: Iterable<ModuleFixture>,
): Deno.PermissionOptions {
  const all: Deno.PermissionOptions[] = [];
  const visit = (state: ModuleFixture) => {
    all.push(state.fixture.permissions);
    for (const dep of state.deps.values()) visit(dep);
  };
  for (const state of states) visit(state);
  return mergePermissions(all);
}

function unavailableOf(states: ModuleFixture[]): string[] {
  return states.flatMap((s) => s.fixture.requires ?? [])
    .filter((r) => !r.ok)
    .map((r) => `${r.name} ${r.target}: ${r.reason}`);
}

function registerSetup(fresh: ModuleFixture[]): void {
  const names = fresh.map((s) => `"${s.name}" (${s.fixture.kind})`).join(", ");
  const unavailable = unavailableOf(fresh);
  const ignored = unavailable.length > 0 && !isRequireMode();
  Deno.test({
    name: `[integration] set up module fixture${
      fresh.length > 1 ? "s" : ""
    } ${names}${ignored ? ` (ignored: ${unavailable.join("; ")})` : ""}`,
    ignore: ignored,
    permissions: permissionsOf(fresh),
    // It opens what later tests share: its resources outlive it by design.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (unavailable.length > 0) {
        throw new ServiceUnavailableError(unavailable);
      }
      // No other module's env fixture has its values in place meanwhile.
      await withSharedHold(async () => {
        for (const state of fresh) {
          // No test will use it (all ignored or sharded out): do not start it.
          if (state.users > 0) await start(state);
        }
      });
    },
  });
}

function registerTeardown(): void {
  teardownRegistered = true;
  // Tests registered while the module loads run in order; one registered at
  // the load event runs after all of them.
  globalThis.addEventListener("load", () => {
    Deno.test({
      name: "[integration] dispose module fixtures",
      permissions: permissionsOf(declared.values()),
      // It closes what earlier tests opened and shared: by design.
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const errors = await withSharedHold(disposeAll);
        if (errors.length === 1) throw errors[0];
        if (errors.length > 1) {
          throw new AggregateError(
            errors,
            `${errors.length} module fixtures failed to clean up:\n${
              errors.map((e, i) => `  ${i + 1}. ${describe(e)}`).join("\n")
            }`,
          );
        }
      },
    });
  });
  // The disposal test did not run (filtered out, --fail-fast): dispose before
  // the process exits, reporting failures on stderr.
  globalThis.addEventListener("beforeunload", () => {
    if (closed || !scope) return;
    disposeAll().then((errors) => {
      for (const error of errors) {
        console.error(`itkit: ${describe(error)}`);
      }
    });
  });
}

onInterruptDisposeModule(() => disposeAll()); // on SIGINT/SIGTERM

function disposeAll(): Promise<FixtureError[]> {
  return closed ??= (async () => {
    // Wait for setups still under way, so that nothing is left behind.
    await Promise.allSettled(
      [...declared.values()].map((s) => s.started).filter((p) => p),
    );
    return scope ? await scope.close() : [];
  })();
}
