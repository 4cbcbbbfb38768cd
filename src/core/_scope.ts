// Internal: sets up a group of declared fixtures and disposes them in reverse
// order, whatever happens, collecting every cleanup failure.

import { raceDeadline } from "../util/deadline.ts";
import type { Fixture } from "./fixture.ts";
import { FixtureError } from "./errors.ts";
import { recordTiming } from "../run/summary.ts";

/** A declared fixture with its name in the test's declaration. */
export interface NamedFixture {
  name: string;
  fixture: Fixture;
  /** The names it depends on in this test. */
  deps: readonly string[];
}

/** Declarations that depend on every other fixture of their test. */
const onOthers = new WeakSet<Fixture>();

/**
 * Makes a declaration depend on every other fixture its test declares that
 * it may depend on (same or wider scope), except other such declarations: it
 * is set up after them and disposed before them, and receives them all.
 *
 * @returns The declaration.
 */
export function dependOnOthers<F extends Fixture>(fixture: F): F {
  onOthers.add(fixture);
  return fixture;
}

/** The names `fixture`, declared as `name`, depends on in `fixtures`. */
function depsIn(
  name: string,
  fixture: Fixture,
  fixtures: Record<string, Fixture>,
): readonly string[] {
  if (!onOthers.has(fixture)) return fixture.deps;
  return Object.keys(fixtures).filter((other) => {
    const dep = fixtures[other]!;
    if (other === name || onOthers.has(dep)) return false;
    if (fixture.scope === "test") return dep.scope !== "step";
    if (fixture.scope === "module") return dep.scope === "module";
    return true;
  });
}

/**
 * Orders a test's fixture declaration so that every fixture comes after its
 * dependencies, keeping declaration order otherwise. Throws a `TypeError`
 * naming the test and the fixtures for an unknown dependency, a cycle, or a
 * test-scoped fixture that depends on a step-scoped one.
 */
export function orderFixtures(
  test: string,
  fixtures: Record<string, Fixture>,
): NamedFixture[] {
  const declared = Object.keys(fixtures);
  const where = `Cannot register integration test "${test}"`;
  for (const name of declared) {
    const fixture = fixtures[name];
    if (
      typeof fixture !== "object" || fixture === null ||
      typeof fixture.start !== "function"
    ) {
      throw new TypeError(
        `${where}: fixture "${name}" is not a fixture declaration (use a factory's .fixture(), e.g. tmpDir.fixture())`,
      );
    }
  }
  const depsOf = new Map<string, readonly string[]>();
  for (const name of declared) {
    const fixture = fixtures[name]!;
    const deps = depsIn(name, fixture, fixtures);
    depsOf.set(name, deps);
    for (const dep of deps) {
      if (!(dep in fixtures)) {
        throw new TypeError(
          `${where}: fixture "${name}" (${fixture.kind}) depends on "${dep}", which is not declared (declared: ${
            declared.join(", ")
          })`,
        );
      }
      const depScope = fixtures[dep]!.scope;
      if (fixture.scope === "test" && depScope === "step") {
        throw new TypeError(
          `${where}: fixture "${name}" is test-scoped but depends on step-scoped "${dep}"; make "${name}" step-scoped too`,
        );
      }
      if (fixture.scope === "module" && depScope !== "module") {
        throw new TypeError(
          `${where}: fixture "${name}" is module-scoped but depends on ${depScope}-scoped "${dep}"; a module-scoped fixture may depend only on module-scoped ones`,
        );
      }
    }
  }
  const ordered: NamedFixture[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new TypeError(
        `${where}: fixtures depend on each other in a cycle: ${
          cycle.join(" -> ")
        }`,
      );
    }
    const fixture = fixtures[name];
    if (fixture === undefined) {
      throw new TypeError(`${where}: fixture "${name}" is not declared`);
    }
    state.set(name, "visiting");
    const deps = depsOf.get(name)!;
    for (const dep of deps) visit(dep, [...path, name]);
    state.set(name, "done");
    ordered.push({ name, fixture, deps });
  };
  for (const name of declared) visit(name, []);
  return ordered;
}

/** A fixture being set up or cleaned up, for a timeout's message. */
export interface FixtureInProgress {
  phase: "setup" | "cleanup";
  name: string;
  kind: string;
}

/** `while setting up "db" (postgresDatabase)`, or `while cleaning up …`. */
export function describeInProgress(fixture: FixtureInProgress): string {
  return `while ${
    fixture.phase === "setup" ? "setting up" : "cleaning up"
  } "${fixture.name}" (${fixture.kind})`;
}

/**
 * One group of live fixtures (a test's, or one step's). Owns an
 * `AsyncDisposableStack`; `close()` disposes it once, in reverse order, and
 * returns every cleanup failure as a {@linkcode FixtureError}.
 */
export class FixtureScopeRun {
  /** How long close() waits for a fixture still starting, by default. */
  static readonly GRACE_MS = 10_000;
  readonly values: Record<string, unknown>;
  #stack = new AsyncDisposableStack();
  #closed = false;
  #closing: Promise<FixtureError[]> | undefined;
  /** The fixture being started, if any, with its name and kind. */
  #starting:
    | {
      name: string;
      kind: string;
      done: Promise<unknown>;
      signal: AbortSignal;
    }
    | undefined;
  /** The fixture being disposed, if any. */
  #disposing: { name: string; kind: string } | undefined;
  /** Scopes whose disposal this one took over. */
  #adopted: FixtureScopeRun[] = [];
  /** How long close() waits for a fixture that is still starting. */
  readonly #grace: number;

  constructor(
    inherited: Record<string, unknown> = {},
    grace: number = FixtureScopeRun.GRACE_MS,
  ) {
    this.values = { ...inherited };
    this.#grace = grace;
  }

  /** Sets up the fixtures in order; throws a FixtureError on the first failure. */
  async setup(fixtures: NamedFixture[], signal: AbortSignal): Promise<void> {
    for (const { name, fixture, deps: names } of fixtures) {
      if (this.#closed) return;
      const deps: Record<string, unknown> = {};
      for (const dep of names) deps[dep] = this.values[dep];
      const done = this.#start(name, fixture, deps, signal);
      this.#starting = { name, kind: fixture.kind, done, signal };
      try {
        await done;
      } finally {
        this.#starting = undefined;
      }
    }
  }

  async #start(
    name: string,
    fixture: Fixture,
    deps: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<void> {
    let value: AsyncDisposable;
    try {
      signal.throwIfAborted();
      const started = performance.now();
      value = await fixture.start({ name, signal, deps });
      recordTiming(fixture.kind, "setup", performance.now() - started);
      if (typeof value?.[Symbol.asyncDispose] !== "function") {
        throw new TypeError(
          "setup returned a value without [Symbol.asyncDispose]",
        );
      }
    } catch (error) {
      throw new FixtureError(name, fixture.kind, "setup", error);
    }
    if (this.#closed) {
      // The scope was closed (timeout) while this fixture was starting; its
      // close() waits for this disposal.
      await disposeNamed(name, fixture.kind, value);
      return;
    }
    this.#stack.defer(async () => {
      this.#disposing = { name, kind: fixture.kind };
      try {
        await disposeNamed(name, fixture.kind, value);
      } finally {
        this.#disposing = undefined;
      }
    });
    this.values[name] = value;
  }

  /** The fixture being set up or disposed now, if any. */
  get current(): FixtureInProgress | undefined {
    if (this.#starting) {
      const { name, kind } = this.#starting;
      return { phase: "setup", name, kind };
    }
    if (this.#disposing) return { phase: "cleanup", ...this.#disposing };
    for (const other of this.#adopted) {
      const current = other.current;
      if (current) return current;
    }
    return undefined;
  }

  /**
   * Takes over the disposal of everything `other` has set up: it is disposed
   * with this scope, after what this scope sets up later.
   */
  adopt(other: FixtureScopeRun): void {
    this.#adopted.push(other);
    this.#stack.use(other.#stack.move());
  }

  /**
   * Disposes every fixture set up so far, once; later calls share the result.
   * A fixture still starting (the test timed out during its setup) is waited
   * for, up to the grace period, and disposed as soon as it is up.
   */
  close(): Promise<FixtureError[]> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const errors: FixtureError[] = [];
      const starting = this.#starting;
      if (starting) {
        const gaveUp = await raceDeadline(
          starting.done.then(() => false, (error) => {
            // A setup that failed on its own after the test was stopped
            // (not by honouring the abort) says why: e.g. which server did
            // not answer.
            if (!abortedBy(error, starting.signal)) {
              errors.push(error as FixtureError);
            }
            return false;
          }),
          this.#grace,
          () => true,
        );
        if (gaveUp) {
          errors.push(
            new FixtureError(
              starting.name,
              starting.kind,
              "cleanup",
              new Error(
                `it was still starting ${this.#grace} ms after the test was stopped; it will be disposed if it ever starts, but may be left behind if the process ends first`,
              ),
            ),
          );
        }
      }
      try {
        await this.#stack.disposeAsync();
      } catch (error) {
        errors.push(...flatten(error));
      }
      return errors;
    })();
    return this.#closing;
  }
}

/** Whether a setup failed with `signal`'s abort (its reason, or an AbortError). */
function abortedBy(error: unknown, signal: AbortSignal): boolean {
  const cause = error instanceof FixtureError ? error.cause : error;
  return cause === signal.reason || (cause as Error)?.name === "AbortError";
}

async function disposeNamed(
  name: string,
  kind: string,
  value: AsyncDisposable,
): Promise<void> {
  const started = performance.now();
  try {
    await value[Symbol.asyncDispose]();
  } catch (error) {
    throw new FixtureError(name, kind, "cleanup", error);
  } finally {
    recordTiming(kind, "cleanup", performance.now() - started);
  }
}

/** Unrolls the `SuppressedError` chain a disposable stack throws, oldest first. */
function flatten(error: unknown): FixtureError[] {
  const errors: unknown[] = [];
  let current = error;
  while (current instanceof SuppressedError) {
    errors.unshift(current.error);
    current = current.suppressed;
  }
  errors.unshift(current);
  return errors.map((e) =>
    e instanceof FixtureError ? e : new FixtureError("?", "?", "cleanup", e)
  );
}
