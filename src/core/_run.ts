// Internal: the run of one integration test: setup, body, steps and
// disposal, within the toolkit's budget, with stray errors caught.

import type {
  FixtureRecord,
  IntegrationDefinition,
  IntegrationFn,
  StepDefinition,
} from "./integration_types.ts";
import {
  describeInProgress,
  FixtureScopeRun,
  type NamedFixture,
} from "./_scope.ts";
import { type ModuleFixture, moduleValues } from "./_module_scope.ts";
import {
  FixtureError,
  IntegrationTimeoutError,
  throwAll,
  UncaughtInTestError,
} from "./errors.ts";
import { catchStrays, settleStrays } from "./_stray.ts";
import { describe } from "../util/text.ts";
import { raceDeadline } from "../util/deadline.ts";
import { explainNotCapable } from "./not_capable.ts";
import { mergePermissions } from "./permissions.ts";
import { trackLiveScopes } from "./_interrupt.ts";
import { takeReaperFailure } from "../run/reaper.ts";
import { takeFailureNotes } from "./_failure_notes.ts";
import { defaultTestTimeout } from "../run/settings.ts";
import { holdEnv, type Release } from "../util/env_lock.ts";

/**
 * Runs one attempt of a test: the env lock (exclusive for a test with an env
 * fixture: see env_lock.ts), setup, body, cleanup, within the budget. From
 * the first setup to the last disposal, a stray error (unhandled rejection,
 * error thrown from a timer) fails this test instead of the module. The body
 * may go on for a grace period after one; then it is abandoned (its signal is
 * aborted) and the fixtures are disposed. The wait for the lock, setup and
 * body share the budget; cleanup has one of its own, as large and at least
 * 15 s, so that a test stopped by its budget still cleans up.
 */
export async function runTest<F extends FixtureRecord>(
  t: Deno.TestContext,
  definition: IntegrationDefinition<F>,
  moduleScoped: Map<string, ModuleFixture>,
  testScoped: NamedFixture[],
  stepScoped: NamedFixture[],
  exclusive: boolean,
): Promise<void> {
  const controller = new AbortController();
  const live: FixtureScopeRun[] = [];
  const untrack = trackLiveScopes(live); // disposed on SIGINT/SIGTERM
  const run: RunState = {
    test: definition.name,
    deno: t,
    signal: controller.signal,
    live,
    stepScoped,
    releases: [],
    steps: [],
    waiting: undefined,
    locking: false,
    grace: 0,
    granted: () =>
      mergePermissions([
        ...[...testScoped, ...stepScoped].map((f) => f.fixture.permissions),
        ...[...moduleScoped.values()].map((m) => m.fixture.permissions),
        definition.permissions ?? "none",
      ]),
  };
  const guard = new StrayGuard({ test: definition.name });
  const budget = budgetOf(definition.timeout);
  const cleanupMs = cleanupBudget(budget.ms);
  // A fixture still starting when the test stops is waited for at most half
  // the cleanup budget: the others are disposed within it.
  run.grace = Math.min(FixtureScopeRun.GRACE_MS, cleanupMs / 2);
  /** The env lock's release, once held (given back after cleanup). */
  let release: Release | undefined;
  const body = (async () => {
    // Under --parallel another file's env fixture may have its values in
    // place: wait for it within the budget (a lock that arrives after the
    // test stopped is given back at once).
    const held = holdEnv(exclusive, controller.signal);
    if (typeof held === "function") release = held;
    else {
      run.locking = true;
      release = await held;
      run.locking = false;
    }
    // Without fixtures there is nothing to set up or dispose: skip the scope.
    let values: Record<string, unknown> = moduleScoped.size > 0
      ? await moduleValues(moduleScoped, (state) => run.waiting = state)
      : {};
    if (testScoped.length > 0) {
      const scope = new FixtureScopeRun(values, run.grace);
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

  try {
    await raceDeadline(guard.race(body), budget.ms, () => {
      throw new IntegrationTimeoutError(
        definition.name,
        budget.ms,
        phaseOf(run),
        budget.hint,
      );
    });
  } catch (error) {
    guard.fail(error);
    if (
      error instanceof IntegrationTimeoutError ||
      error instanceof UncaughtInTestError
    ) {
      controller.abort(error);
      // The body is abandoned; keep its eventual rejection from surfacing
      // as an unhandled one after this test has been reported.
      body.catch(() => {});
    }
  }
  guard.fail(...await closeWithin(run, cleanupMs));
  release?.();
  untrack();
  // A reaper that died fails the test that notices it: what it held may leak.
  const reaperDied = takeReaperFailure();
  if (reaperDied) guard.fail(reaperDied);
  await guard.release();
  // What fixtures want shown when the test fails (the app's output).
  const notes = takeFailureNotes(controller.signal);
  if (guard.errors.length > 0) {
    for (const note of notes) {
      console.error(note);
    }
  }
  // Steps abandoned at the timeout never released their catchers.
  for (const release of run.releases) release();
  // A NotCapable failure says which permission was missing and what grants it.
  guard.errors.forEach((e) => explainNotCapable(e, t.name, run.granted()));
  throwAll(guard.errors, `"${definition.name}"`);
}

/** A test's budget, and where it came from when the test did not set it. */
function budgetOf(
  timeout: number | undefined,
): { ms: number; hint: string | undefined } {
  if (timeout !== undefined) return { ms: timeout, hint: undefined };
  const { ms, source } = defaultTestTimeout();
  return {
    ms,
    hint: source === "default"
      ? "the default; set the test's `timeout` option or ITKIT_TIMEOUT"
      : "ITKIT_TIMEOUT; a test's `timeout` option overrides it",
  };
}

/**
 * The least cleanup budget: a fixture's own bounded cleanup (a database
 * fixture gives a server that stops answering 5 s, then cuts it off and
 * names it) ends within it, and within half of it when it was still starting;
 * a short test budget must not cut that off with a vaguer error and leave its
 * timers running into the next test.
 */
const CLEANUP_MIN_MS = 15_000;

/** Cleanup's own budget: as large as the test's, and at least the minimum. */
function cleanupBudget(testMs: number): number {
  return Math.max(testMs, CLEANUP_MIN_MS);
}

/** Where a test is: the fixture being set up or cleaned up, a step, the body. */
function phaseOf(run: RunState): string {
  const step = run.steps.at(-1);
  const inStep = step === undefined ? "" : ` in step "${step}"`;
  if (run.locking) {
    return "while waiting for another file's env fixture (deno test --parallel)";
  }
  const current = run.live.toReversed().map((s) => s.current).find((c) => c);
  if (current) return describeInProgress(current) + inStep;
  if (run.waiting) {
    return describeInProgress({
      phase: "setup",
      name: run.waiting.name,
      kind: run.waiting.fixture.kind,
    });
  }
  return step === undefined ? "in the body" : `in step "${step}"`;
}

/**
 * Closes the open scopes, innermost first (open steps' fixtures, then the
 * test's own), within `ms`. Past it the test fails naming the fixture still
 * cleaning up; the disposal goes on, and what it reports later is printed.
 */
async function closeWithin(run: RunState, ms: number): Promise<unknown[]> {
  const closing = (async () => {
    const errors: unknown[] = [];
    for (const open of run.live.toReversed()) {
      errors.push(...await open.close());
    }
    return errors;
  })();
  let late = false;
  const errors = await raceDeadline<unknown[], unknown[]>(closing, ms, () => {
    late = true;
    const current = run.live.toReversed().map((s) => s.current)
      .find((c) => c);
    // Still starting since the budget ran out in its setup: disposed if it
    // ever starts (as FixtureScopeRun.close says after its grace period).
    if (current?.phase === "setup") {
      return [
        new FixtureError(
          current.name,
          current.kind,
          "cleanup",
          new Error(
            `it was still starting ${ms} ms after the test was stopped; it will be disposed if it ever starts, but may be left behind if the process ends first`,
          ),
        ),
      ];
    }
    return [
      new IntegrationTimeoutError(
        run.test,
        ms,
        current ? describeInProgress(current) : "while cleaning up",
        "cleanup has a budget of its own, as large as the test's and at least 15 s; it goes on in the background",
      ),
    ];
  });
  if (late) {
    closing.then((errors) => {
      for (const error of errors) {
        console.error(
          `itkit: after test "${run.test}" ran out of time cleaning up: ${
            describe(error)
          }`,
        );
      }
    });
  }
  return errors;
}

/**
 * How long a body (or step) may go on after a stray error before it is
 * abandoned. Usually it ends by itself: nobody awaited what rejected.
 */
const STRAY_GRACE_MS = 2_000;

/**
 * Collects the failures of a test or step, and catches stray errors from its
 * creation until {@linkcode StrayGuard.release}.
 */
class StrayGuard {
  readonly errors: unknown[] = [];
  #crash!: (error: unknown) => void;
  #crashed: Promise<never>;
  #release: () => void;
  #racing = false;
  #grace: ReturnType<typeof setTimeout> | undefined;

  constructor(where: { test: string; step?: string }) {
    this.#crashed = new Promise<never>((_, reject) => this.#crash = reject);
    this.#crashed.catch(() => {});
    this.#release = catchStrays((error) => {
      // A client that fails a call can leave a second rejection with the
      // same error (the AWS SDK does): it is already reported.
      if (this.errors.some((e) => sameError(e, error))) return;
      const stray = new UncaughtInTestError(where, error);
      this.errors.push(stray);
      if (this.#racing && this.#grace === undefined) {
        this.#grace = setTimeout(() => this.#crash(stray), STRAY_GRACE_MS);
      }
    });
  }

  /**
   * Settles like `work`; after a stray error, `work` has a grace period to
   * settle before this rejects with that error. (Not `raceDeadline`: this
   * timer starts at the stray error and must be cleared when an outer
   * deadline ends the race first.)
   */
  async race<T>(work: Promise<T>): Promise<T> {
    this.#racing = true;
    try {
      return await Promise.race([work, this.#crashed]);
    } finally {
      this.#racing = false;
      clearTimeout(this.#grace);
    }
  }

  /** Records failures (a stray error already recorded is not repeated). */
  fail(...errors: unknown[]): void {
    for (const error of errors) {
      if (!this.errors.includes(error)) this.errors.push(error);
    }
  }

  /** Lets a stray error of the last turn arrive, then stops catching. */
  async release(): Promise<void> {
    await settleStrays();
    this.#release();
  }

  /** Stops catching now. */
  releaseNow(): void {
    this.#release();
  }
}

interface RunState {
  /** The test's name. */
  test: string;
  /** The test's own context. */
  deno: Deno.TestContext;
  signal: AbortSignal;
  /** Releases the catchers of steps, for steps abandoned at a timeout. */
  releases: (() => void)[];
  live: FixtureScopeRun[];
  stepScoped: NamedFixture[];
  /** The open steps' names, innermost last. */
  steps: string[];
  /** The module-scoped fixture the test waits for, while it does. */
  waiting: ModuleFixture | undefined;
  /** Whether it waits for the env lock (another file's env fixture). */
  locking: boolean;
  /** How long closing a scope waits for a fixture still starting. */
  grace: number;
  /** The permissions the test runs with (for a NotCapable's hint). */
  granted: () => Deno.PermissionOptions;
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
        run.steps.push(definition.name);
        const guard = new StrayGuard({ test: run.test, step: definition.name });
        const release = () => guard.releaseNow();
        run.releases.push(release);
        const scope = run.stepScoped.length === 0
          ? undefined
          : new FixtureScopeRun(this.#values, run.grace);
        if (scope) run.live.push(scope);
        const work = (async () => {
          const values = scope ? scope.values : this.#values;
          await scope?.setup(run.stepScoped, run.signal);
          await fn(new Context(t, run, values), values);
        })();
        try {
          await guard.race(work);
        } catch (error) {
          guard.fail(error);
          // A stray error stopped the step; its body is abandoned.
          work.catch(() => {});
        }
        if (scope) {
          guard.fail(...await scope.close());
          run.live.splice(run.live.indexOf(scope), 1);
        }
        await guard.release();
        run.releases.splice(run.releases.indexOf(release), 1);
        run.steps.splice(run.steps.lastIndexOf(definition.name), 1);
        guard.errors.forEach((e) =>
          explainNotCapable(e, run.deno.name, run.granted())
        );
        throwAll(guard.errors, `step "${definition.name}"`);
      },
    });
  }
}

function sameError(reported: unknown, stray: unknown): boolean {
  const inner = reported instanceof UncaughtInTestError
    ? reported.cause
    : reported;
  return inner === stray ||
    (inner instanceof Error && stray instanceof Error &&
      inner.name === stray.name && inner.message === stray.message);
}
