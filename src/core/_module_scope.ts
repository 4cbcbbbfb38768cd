// Internal: module-scoped fixtures. Each declaration object with
// `scope: "module"` is set up once per test module, before the module's first
// test (Deno's `beforeAll` hook, outside every test's sanitizers and with the
// process's permissions, so that no test of the user's sees its resources
// appear, and no test of the toolkit's is added to the count), shared by every
// test that declares it, and disposed after the module's last test (the
// `afterAll` hook; a failure there fails the module). Only declarations with
// a user that is not ignored are set up: a filtered-out user still counts
// (Deno does not say which tests a filter leaves). Without hooks (an older
// Deno), the first user sets it up and the process disposes it before it
// exits.

import type { Fixture } from "./fixture.ts";
import {
  describeInProgress,
  FixtureScopeRun,
  type NamedFixture,
} from "./_scope.ts";
import { FixtureError, IntegrationTimeoutError } from "./errors.ts";
import { defaultTestTimeout } from "../run/settings.ts";
import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";
import { onInterruptDisposeModule } from "./_interrupt.ts";
import { withSharedHold } from "../util/env_lock.ts";

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
let hooksRegistered = false;

/**
 * Binds a test's module-scoped fixtures to this module's instances, and
 * registers the hooks that set them up and dispose of them, once.
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
  for (const { name, fixture, deps: names } of ordered) {
    if (fixture.scope !== "module") continue;
    let state = declared.get(fixture);
    if (!state) {
      const deps = new Map<string, ModuleFixture>();
      for (const dep of names) deps.set(dep, bound.get(dep)!);
      state = { name, fixture, deps, users: 0 };
      declared.set(fixture, state);
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
  if (!hooksRegistered && bound.size > 0) registerHooks();
  return bound;
}

/**
 * The values of a test's module-scoped fixtures, setting them up if the hook
 * did not. A fixture whose setup failed fails every test that declares it
 * with the same error; it is not retried.
 *
 * @param waiting Told which fixture the test waits for, and then `undefined`.
 */
export async function moduleValues(
  bound: Map<string, ModuleFixture>,
  waiting: (fixture: ModuleFixture | undefined) => void,
): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const [name, state] of bound) {
    waiting(state);
    values[name] = await start(state);
  }
  waiting(undefined);
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

/** Whether a declaration's probes all passed (else its users fail or are ignored). */
function available(state: ModuleFixture): boolean {
  return (state.fixture.requires ?? []).every((r) => r.ok) &&
    [...state.deps.values()].every(available);
}

function registerHooks(): void {
  hooksRegistered = true;
  const hooks = Deno.test as Partial<typeof Deno.test>;
  if (
    typeof hooks.beforeAll === "function" &&
    typeof hooks.afterAll === "function"
  ) {
    hooks.beforeAll(setUpUsed);
    hooks.afterAll(disposeAfterLastTest);
  }
  // The hook did not run (an older Deno; a signal): dispose before the
  // process exits, reporting failures on stderr.
  globalThis.addEventListener("beforeunload", () => {
    if (closed || !scope) return;
    disposeAll().then((errors) => {
      for (const error of errors) {
        console.error(`itkit: ${describe(error)}`);
      }
    });
  });
}

/**
 * Before the module's first test: sets up, in declaration order, each
 * declaration a test that is not ignored uses. A failure is not thrown here
 * (it would abandon the module): each user reports it. It waits for a setup
 * at most the run's default budget; past it, each user waits for it within
 * its own and, when that runs out, fails naming the fixture still setting up.
 */
async function setUpUsed(): Promise<void> {
  const used = [...declared.values()].filter((s) =>
    s.users > 0 && available(s)
  );
  if (used.length === 0) return;
  // No other module's env fixture has its values in place meanwhile.
  await withSharedHold(async () => {
    // In declaration order, as a test sets up its own.
    const all = (async () => {
      for (const state of used) await start(state).catch(() => {});
    })();
    await raceDeadline(all, defaultTestTimeout().ms, () => undefined);
  });
}

/**
 * After the module's last test: disposes every module fixture, within the
 * run's default budget; failures fail the module.
 */
async function disposeAfterLastTest(): Promise<void> {
  const { ms, source } = defaultTestTimeout();
  const errors: unknown[] = await withSharedHold(() =>
    raceDeadline<unknown[], unknown[]>(disposeAll(), ms, () => {
      const current = scope?.current;
      return [
        new IntegrationTimeoutError(
          "dispose module fixtures",
          ms,
          current ? describeInProgress(current) : "while cleaning up",
          `module fixtures get ${
            source === "default" ? "the default budget" : source
          }; it goes on in the background`,
        ),
      ];
    })
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `${errors.length} module fixtures failed to clean up after the module's last test:\n${
        errors.map((e, i) => `  ${i + 1}. ${describe(e)}`).join("\n")
      }`,
    );
  }
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
