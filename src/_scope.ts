// Internal: sets up a group of declared fixtures and disposes them in reverse
// order, whatever happens, collecting every cleanup failure.

import type { Fixture } from "./fixture.ts";
import { FixtureError } from "./errors.ts";
import { recordTiming } from "./summary.ts";

/** A declared fixture with its name in the test's declaration. */
export interface NamedFixture {
  name: string;
  fixture: Fixture;
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
    for (const dep of fixture.deps) {
      if (!(dep in fixtures)) {
        throw new TypeError(
          `${where}: fixture "${name}" (${fixture.kind}) depends on "${dep}", which is not declared (declared: ${
            declared.join(", ")
          })`,
        );
      }
      if (fixture.scope === "test" && fixtures[dep].scope === "step") {
        throw new TypeError(
          `${where}: fixture "${name}" is test-scoped but depends on step-scoped "${dep}"; make "${name}" step-scoped too`,
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
    state.set(name, "visiting");
    for (const dep of fixtures[name].deps) visit(dep, [...path, name]);
    state.set(name, "done");
    ordered.push({ name, fixture: fixtures[name] });
  };
  for (const name of declared) visit(name, []);
  return ordered;
}

/**
 * One group of live fixtures (a test's, or one step's). Owns an
 * `AsyncDisposableStack`; `close()` disposes it once, in reverse order, and
 * returns every cleanup failure as a {@linkcode FixtureError}.
 */
export class FixtureScopeRun {
  readonly values: Record<string, unknown>;
  #stack = new AsyncDisposableStack();
  #closing: Promise<FixtureError[]> | undefined;

  constructor(inherited: Record<string, unknown> = {}) {
    this.values = { ...inherited };
  }

  /** Sets up the fixtures in order; throws a FixtureError on the first failure. */
  async setup(fixtures: NamedFixture[], signal: AbortSignal): Promise<void> {
    for (const { name, fixture } of fixtures) {
      if (this.#closing) return;
      const deps: Record<string, unknown> = {};
      for (const dep of fixture.deps) deps[dep] = this.values[dep];
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
      if (this.#closing) {
        // The scope was closed (timeout) while this fixture was starting:
        // nothing else will dispose it, so do it now.
        await disposeNamed(name, fixture.kind, value);
        return;
      }
      this.#stack.defer(() => disposeNamed(name, fixture.kind, value));
      this.values[name] = value;
    }
  }

  /** Disposes every fixture set up so far, once; later calls share the result. */
  close(): Promise<FixtureError[]> {
    this.#closing ??= this.#stack.disposeAsync().then(
      () => [],
      (error: unknown) => flatten(error),
    );
    return this.#closing;
  }
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
