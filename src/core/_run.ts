// Internal: the run of one integration test: setup, body, steps and
// disposal, within the toolkit's budget, with stray errors caught.

import type {
  FixtureRecord,
  IntegrationDefinition,
  IntegrationFn,
  StepDefinition,
} from "./integration.ts";
import { FixtureScopeRun, type NamedFixture } from "./_scope.ts";
import { type ModuleFixture, moduleValues } from "./_module_scope.ts";
import { IntegrationTimeoutError, UncaughtInTestError } from "./errors.ts";
import { describe } from "../util/text.ts";
import { raceDeadline } from "../util/deadline.ts";
import { trackLiveScopes } from "./_interrupt.ts";

/** Fails the integration test that is running, if any. */
let running: ((error: unknown) => void) | undefined;
globalThis.addEventListener?.("unhandledrejection", (event) => {
  if (!running) return;
  event.preventDefault();
  running(event.reason);
});
globalThis.addEventListener?.("error", (event) => {
  if (!running) return;
  event.preventDefault();
  running(event.error);
});
/** Runs one attempt of a test: setup, body, cleanup, within the budget. */
export async function runTest<F extends FixtureRecord>(
  t: Deno.TestContext,
  definition: IntegrationDefinition<F>,
  moduleScoped: Map<string, ModuleFixture>,
  testScoped: NamedFixture[],
  stepScoped: NamedFixture[],
): Promise<void> {
  const controller = new AbortController();
  const live: FixtureScopeRun[] = [];
  const untrack = trackLiveScopes(live); // disposed on SIGINT/SIGTERM
  const run = {
    signal: controller.signal,
    live,
    stepScoped,
  };
  const body = (async () => {
    // Without fixtures there is nothing to set up or dispose: skip the scope.
    let values: Record<string, unknown> = moduleScoped.size > 0
      ? await moduleValues(moduleScoped)
      : {};
    if (testScoped.length > 0) {
      const scope = new FixtureScopeRun(values);
      live.push(scope);
      await scope.setup(testScoped, controller.signal);
      values = scope.values;
    }
    const context = new Context(t, run, values);
    await definition.fn(
      context as unknown as Parameters<IntegrationFn<F>>[0],
      values as Parameters<IntegrationFn<F>>[1],
    );
  })();

  const errors: unknown[] = [];
  // An unhandled rejection or uncaught error while this test runs would make
  // Deno abandon the whole module, skipping cleanup: fail this test instead.
  let escaped!: (error: unknown) => void;
  const crashed = new Promise<never>((_, reject) => escaped = reject);
  crashed.catch(() => {});
  running = (error) => escaped(new UncaughtInTestError(definition.name, error));
  try {
    const timeout = definition.timeout ?? Infinity;
    await raceDeadline(Promise.race([body, crashed]), timeout, () => {
      throw new IntegrationTimeoutError(definition.name, timeout);
    });
  } catch (error) {
    errors.push(error);
    if (
      error instanceof IntegrationTimeoutError ||
      error instanceof UncaughtInTestError
    ) {
      controller.abort(error);
      // The body is abandoned; keep its eventual rejection from surfacing
      // as an unhandled one after this test has been reported.
      body.catch(() => {});
    }
  } finally {
    running = undefined;
  }
  // Innermost first: open steps' fixtures, then the test's own.
  for (const open of live.toReversed()) errors.push(...await open.close());
  untrack();
  throwAll(errors, `"${definition.name}"`);
}

/** Throws nothing, the one error, or all of them together. */
export function throwAll(errors: unknown[], where: string): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      `${errors.length} failures in ${where}:\n${
        errors.map((e, i) => `  ${i + 1}. ${describe(e)}`).join("\n")
      }`,
    );
  }
}

interface RunState {
  signal: AbortSignal;
  live: FixtureScopeRun[];
  stepScoped: NamedFixture[];
}

class Context {
  readonly deno: Deno.TestContext;
  readonly signal: AbortSignal;
  #run: RunState;
  #values: Record<string, unknown>;

  constructor(
    t: Deno.TestContext,
    run: RunState,
    values: Record<string, unknown>,
  ) {
    this.deno = t;
    this.signal = run.signal;
    this.#run = run;
    this.#values = values;
  }

  get name(): string {
    return this.deno.name;
  }

  get origin(): string {
    return this.deno.origin;
  }

  step(
    nameOrDefinition: string | StepDefinition<Record<string, unknown>>,
    maybeFn?: StepDefinition<Record<string, unknown>>["fn"],
  ): Promise<boolean> {
    const definition = typeof nameOrDefinition === "string"
      ? { name: nameOrDefinition, fn: maybeFn }
      : nameOrDefinition;
    const { fn, ...rest } = definition;
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot run step "${definition.name}": expected a step function`,
      );
    }
    return this.deno.step({
      ...rest,
      fn: async (t) => {
        const run = this.#run;
        if (run.stepScoped.length === 0) {
          await fn(new Context(t, run, this.#values), this.#values);
          return;
        }
        const scope = new FixtureScopeRun(this.#values);
        run.live.push(scope);
        const errors: unknown[] = [];
        try {
          await scope.setup(run.stepScoped, run.signal);
          await fn(new Context(t, run, scope.values), scope.values);
        } catch (error) {
          errors.push(error);
        } finally {
          errors.push(...await scope.close());
          run.live.splice(run.live.indexOf(scope), 1);
        }
        throwAll(errors, `step "${definition.name}"`);
      },
    });
  }
}
