/**
 * Defining fixtures: one definition gives both a standalone factory
 * (`await using dir = await tmpDir()`) and a declaration for
 * {@linkcode integration} (`fixtures: { dir: tmpDir.fixture() }`).
 *
 * @module
 */

import type { ProbeResult } from "./probe.ts";
import { checkRequires } from "./_options_check.ts";
import { catchStrays, settleStrays } from "./_stray.ts";
import { throwAll, UncaughtInTestError } from "./errors.ts";

/**
 * Where a declared fixture lives: `"test"` (default) is set up once and shared
 * by the test body and all its steps; `"step"` is set up fresh for each step
 * and disposed when that step ends; `"module"` is set up once per test module,
 * before the first test that declares it, shared by every test that declares
 * the same declaration object, and disposed after the module's last test.
 */
export type FixtureScope = "test" | "step" | "module";

/** What a fixture's `setup` receives besides its options. */
export interface FixtureContext<D = Record<string, unknown>> {
  /** The fixture's name in the test's declaration (its kind when standalone). */
  readonly name: string;
  /**
   * Aborted when the test hits the toolkit's `timeout`; long setups should
   * pass it on. Never aborted for a standalone fixture.
   */
  readonly signal: AbortSignal;
  /** The values of the fixtures this one depends on, by declared name. */
  readonly deps: D;
}

/**
 * Everything {@linkcode defineFixture} needs to know about a fixture.
 *
 * @typeParam O The options users pass.
 * @typeParam T The started handle; it must be `AsyncDisposable`, its
 *   `[Symbol.asyncDispose]` is the cleanup.
 * @typeParam D The values of the fixtures it depends on.
 * @typeParam P The options after `prepare` (defaults filled in).
 */
export interface FixtureDefinition<
  O,
  T extends AsyncDisposable,
  D = Record<string, unknown>,
  P = O,
> {
  /** The fixture's kind, used in every error message (`tmpDir`, `s3Bucket`). */
  name: string;
  /**
   * Names, in the test's `fixtures` declaration, of the fixtures this one
   * needs; they are set up first and handed over as `context.deps`.
   *
   * @default {[]}
   */
  deps?: readonly (keyof D & string)[];
  /**
   * Validates the options and fills in defaults, synchronously, when the
   * fixture is created standalone or declared. Throw a `TypeError` naming the
   * option for bad input. This runs at module load for declared fixtures, with
   * the process's permissions, so it may also start loading heavy modules.
   *
   * @default {(options) => options ?? {}}
   */
  prepare?: (options: O | undefined, mode: "standalone" | "declared") => P;
  /**
   * The Deno permissions the fixture needs, computed from its prepared
   * options. The test runs with the union of all its fixtures' permissions.
   *
   * @default {"none"}
   */
  permissions?:
    | Deno.PermissionOptions
    | ((options: P) => Deno.PermissionOptions);
  /** Starts the fixture and returns its handle. */
  setup: (options: P, context: FixtureContext<D>) => T | Promise<T>;
}

/**
 * A fixture declared on a test: what {@linkcode integration} sets up,
 * grants permissions for and disposes.
 *
 * @typeParam T The handle the test receives.
 * @typeParam S Its scope.
 */
export interface Fixture<
  T extends AsyncDisposable = AsyncDisposable,
  S extends FixtureScope = FixtureScope,
> {
  /** The fixture's kind (`tmpDir`, `s3Bucket`, ...). */
  readonly kind: string;
  /** Where it lives: once per test or fresh for each step. */
  readonly scope: S;
  /** Names of the fixtures it depends on. */
  readonly deps: readonly string[];
  /** The permissions it needs. */
  readonly permissions: Deno.PermissionOptions;
  /**
   * Probe results for the services it needs: a test that declares it is
   * ignored with the reason when one is down (fails, in require mode).
   */
  readonly requires?: readonly ProbeResult[];
  /**
   * Starts the fixture.
   *
   * @param context Its declared name, the test's abort signal and its deps.
   * @returns The started handle.
   */
  start(context: FixtureContext): Promise<T>;
}

/**
 * A fixture factory: call it for a standalone handle, or call `.fixture()` to
 * declare it on an {@linkcode integration} test.
 */
export interface FixtureFactory<
  O,
  T extends AsyncDisposable,
  D = Record<string, unknown>,
> {
  /**
   * Starts a standalone fixture, for `await using`.
   *
   * @param options The fixture's options.
   * @param deps The values of the fixtures it depends on, if any.
   * @returns The started handle; dispose it to clean up.
   */
  (options?: O, deps?: D): Promise<T>;
  /** The fixture's kind. */
  readonly kind: string;
  /**
   * Declares the fixture on a test.
   *
   * @param options The fixture's options and its `scope`.
   * @returns A declaration for `fixtures: { ... }`.
   */
  fixture<S extends FixtureScope = "test">(
    options?: (O extends object ? O : unknown) & {
      /**
       * `"test"`: one instance shared by the body and its steps; `"step"`: a
       * fresh instance for each step; `"module"`: one instance for every test
       * of the module that declares this same declaration object.
       *
       * @default {"test"}
       */
      scope?: S;
      /**
       * Probe results for the services this fixture needs (awaited at top
       * level): a test that declares it is ignored with the reason when one is
       * down, or fails in require mode, as with the test's own `requires`.
       *
       * @default {[]}
       */
      requires?: readonly ProbeResult[];
    },
  ): Fixture<T, NoInfer<S>>;
}

/**
 * Defines a fixture. Built-in fixtures use this too.
 *
 * @param definition Name, permissions, dependencies and setup.
 * @returns A factory usable standalone and declarable on tests.
 *
 * @example A user-defined fixture with a dependency and a permission
 * ```ts ignore
 * import { defineFixture, integration, tmpDir, type TmpDir } from "../../mod.ts";
 *
 * interface Notes extends AsyncDisposable {
 *   file: string;
 * }
 *
 * const notes = defineFixture<{ file?: string }, Notes, { dir: TmpDir }>({
 *   name: "notes",
 *   deps: ["dir"],
 *   setup: async (options, { deps }) => {
 *     const file = `${deps.dir.path}/${options.file ?? "notes.txt"}`;
 *     await Deno.writeTextFile(file, "");
 *     return { file, [Symbol.asyncDispose]: () => Deno.remove(file) };
 *   },
 * });
 *
 * integration("notes are appended", {
 *   fixtures: { dir: tmpDir.fixture(), notes: notes.fixture() },
 * }, async (_t, { notes }) => {
 *   await Deno.writeTextFile(notes.file, "hello", { append: true });
 * });
 * ```
 */
export function defineFixture<
  O,
  T extends AsyncDisposable,
  D = Record<string, unknown>,
  P = O,
>(definition: FixtureDefinition<O, T, D, P>): FixtureFactory<O, T, D> {
  if (typeof definition?.name !== "string" || definition.name === "") {
    throw new TypeError(
      "Cannot define fixture: `name` must be a non-empty string",
    );
  }
  const kind = definition.name;
  if (typeof definition.setup !== "function") {
    throw new TypeError(
      `Cannot define fixture "${kind}": \`setup\` must be a function`,
    );
  }
  const deps: readonly string[] = [...(definition.deps ?? [])];
  const prepare = definition.prepare ??
    ((options: O | undefined): P => (options ?? {}) as P);
  const permissionsOf = (options: P): Deno.PermissionOptions => {
    const declared = definition.permissions;
    if (declared === undefined) return "none";
    return typeof declared === "function" ? declared(options) : declared;
  };

  async function standalone(options?: O, depValues?: D): Promise<T> {
    const prepared = prepare(options, "standalone");
    for (const dep of deps) {
      if (!depValues || !(dep in (depValues as object))) {
        throw new TypeError(
          `Cannot start fixture "${kind}": it depends on "${dep}"; pass it as the second argument`,
        );
      }
    }
    // From setup to disposal, a stray error fails the test when the fixture
    // is disposed, instead of abandoning the module.
    const strays: unknown[] = [];
    const release = catchStrays((error) => {
      const stray = new UncaughtInTestError({ fixture: kind }, error);
      strays.push(stray);
      console.error(
        `itkit: ${stray.message} (it is thrown when the fixture is disposed)`,
      );
    });
    let value: T;
    try {
      value = await definition.setup(prepared, {
        name: kind,
        signal: new AbortController().signal,
        deps: (depValues ?? {}) as D,
      });
    } catch (error) {
      await settleStrays();
      release();
      throwAll([error, ...strays], `standalone fixture ${kind}`);
      throw error;
    }
    return reportStraysOnDispose(value, strays, release);
  }

  function fixture<S extends FixtureScope = "test">(
    options?: (O extends object ? O : unknown) & {
      scope?: S;
      requires?: readonly ProbeResult[];
    },
  ): Fixture<T, S> {
    const { scope = "test", requires = [], ...rest } = (options ?? {}) as O & {
      scope?: S;
      requires?: readonly ProbeResult[];
    };
    if (scope !== "test" && scope !== "step" && scope !== "module") {
      throw new TypeError(
        `Cannot declare fixture "${kind}": scope must be "test", "step" or "module", got ${
          JSON.stringify(scope)
        }`,
      );
    }
    checkRequires(`Cannot declare fixture "${kind}"`, requires);
    const prepared = prepare(
      options === undefined ? undefined : rest as O,
      "declared",
    );
    return {
      kind,
      scope: scope as S,
      deps,
      permissions: permissionsOf(prepared),
      requires: [...requires],
      start: async (context: FixtureContext): Promise<T> =>
        await definition.setup(prepared, context as FixtureContext<D>),
    };
  }

  return Object.assign(standalone, { kind, fixture });
}

/**
 * Makes disposing a standalone handle (its `[Symbol.asyncDispose]`, and its
 * `close` when that is the same function) also stop catching stray errors and
 * throw those caught, after the cleanup ran.
 */
function reportStraysOnDispose<T extends AsyncDisposable>(
  value: T,
  strays: unknown[],
  release: () => void,
): T {
  const handle = value as T & { close?: unknown };
  const dispose = handle[Symbol.asyncDispose];
  let disposing: Promise<void> | undefined;
  const guarded = (): Promise<void> =>
    disposing ??= (async () => {
      const errors: unknown[] = [];
      try {
        await dispose.call(handle);
      } catch (error) {
        errors.push(error);
      }
      await settleStrays();
      release();
      throwAll(
        [...errors, ...strays.splice(0)],
        "a standalone fixture's disposal",
      );
    })();
  try {
    if (handle.close === dispose) {
      Object.defineProperty(handle, "close", {
        value: guarded,
        configurable: true,
        writable: true,
      });
    }
    Object.defineProperty(handle, Symbol.asyncDispose, {
      value: guarded,
      configurable: true,
      writable: true,
    });
  } catch {
    // A frozen handle cannot report them; stop catching.
    release();
  }
  return handle;
}
