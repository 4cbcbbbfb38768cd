/**
 * The types of {@linkcode integration}: its options, its body and the context
 * the body receives. They sit below `integration.ts`, which registers tests,
 * and `_run.ts`, which runs them, so that both import them one way.
 *
 * @module
 */

import type { Fixture, FixtureScope } from "./fixture.ts";
import type { ProbeResult } from "./probe.ts";

/** Any record of declared fixtures. */
// deno-lint-ignore no-explicit-any
export type FixtureRecord = Record<string, Fixture<any, FixtureScope>>;

/** A step defined as an object, as with Deno's `t.step({ ... })`. */
export interface StepDefinition<S> {
  /** The step's name. */
  name: string;
  /** The step's body. */
  fn: (t: IntegrationContext<S>, fixtures: S) => void | Promise<void>;
  /**
   * Skip this step.
   *
   * @default {false}
   */
  ignore?: boolean;
  /**
   * Check that the step completes its async ops.
   *
   * @default {true}
   */
  sanitizeOps?: boolean;
  /**
   * Check that the step closes its resources.
   *
   * @default {true}
   */
  sanitizeResources?: boolean;
  /**
   * Check that the step does not call `Deno.exit`.
   *
   * @default {true}
   */
  sanitizeExit?: boolean;
}

/**
 * What an integration test (or step) body receives as `t`: Deno's context
 * plus an abort signal, and a `step` that hands step-scoped fixtures over.
 */
export interface IntegrationContext<S = Record<string, never>> {
  /** The test's or step's name as Deno reports it. */
  readonly name: string;
  /** The URL of the test module. */
  readonly origin: string;
  /** Deno's own context, for anything not wrapped here. */
  readonly deno: Deno.TestContext;
  /** Aborted when the toolkit's `timeout` fires; pass it to your I/O. */
  readonly signal: AbortSignal;
  /**
   * Runs a step with fresh step-scoped fixtures, disposed when it ends.
   *
   * @param name The step's name.
   * @param fn The step's body.
   * @returns Whether the step passed.
   */
  step(
    name: string,
    fn: (t: IntegrationContext<S>, fixtures: S) => void | Promise<void>,
  ): Promise<boolean>;
  /**
   * Runs a step defined as an object.
   *
   * @param definition The step.
   * @returns Whether the step passed.
   */
  step(definition: StepDefinition<S>): Promise<boolean>;
}

/** A test body: the context, then the test-scoped fixtures. */
export type IntegrationFn<F extends FixtureRecord> = (
  t: IntegrationContext<
    // What a step receives: the test's fixtures plus fresh step-scoped ones.
    { [K in keyof F]: F[K] extends Fixture<infer T, FixtureScope> ? T : never }
  >,
  fixtures: {
    // What the body receives: its test- and module-scoped fixtures.
    [K in keyof F as F[K] extends Fixture<AsyncDisposable, "step"> ? never : K]:
      F[K] extends Fixture<infer T, FixtureScope> ? T : never;
  },
) => void | Promise<void>;

/** Options of {@linkcode integration}, beside name and body. */
export interface IntegrationOptions<F extends FixtureRecord> {
  /**
   * The fixtures the test owns, by name. They are set up in declaration order
   * (dependencies first) and disposed in reverse order whatever happens.
   *
   * @default {{}}
   */
  fixtures?: F;
  /**
   * Probe results for the services the test needs (awaited at top level).
   * When one is not ok the test is reported as ignored with its reason, or
   * fails with the reason in require mode (`ITKIT_REQUIRE=1`).
   *
   * @default {[]}
   */
  requires?: readonly ProbeResult[];
  /**
   * Extra permissions for the body, merged with the fixtures' declarations.
   * `"inherit"` gives the process's permissions. See
   * {@linkcode mergePermissions} for the rules.
   *
   * @default {"none"}
   */
  permissions?: Deno.PermissionOptions;
  /**
   * A budget in milliseconds for setup and body (up to 2^31 - 1; `Infinity`
   * for none). When it runs out the signal is aborted, every fixture is
   * disposed, and the test fails naming where it was:
   * `Test timeout of 30000 ms exceeded while setting up "db" (postgresDatabase)`,
   * `… in the body`, `… in step "x"`. Cleanup then has a budget of its own,
   * as large (`… while cleaning up "bucket" (s3Bucket)`). Unlike Deno's own
   * `timeout`, cleanup always runs.
   *
   * @default {30000, or ITKIT_TIMEOUT (milliseconds; 0 or off for none)}
   */
  timeout?: number;
  /**
   * Skip the test.
   *
   * @default {false}
   */
  ignore?: boolean;
  /**
   * Run only this test (and other `only` tests); Deno then fails the run.
   *
   * @default {false}
   */
  only?: boolean;
  /**
   * Deno's ops sanitizer.
   *
   * @default {true}
   */
  sanitizeOps?: boolean;
  /**
   * Deno's resources sanitizer.
   *
   * @default {true}
   */
  sanitizeResources?: boolean;
  /**
   * Deno's exit sanitizer.
   *
   * @default {true}
   */
  sanitizeExit?: boolean;
  /**
   * Re-runs on failure (Deno's `retry`); fixtures are fresh for each attempt.
   *
   * @default {0}
   */
  retry?: number;
  /**
   * Extra runs that must all pass (Deno's `repeats`).
   *
   * @default {0}
   */
  repeats?: number;
}

/** The object form of {@linkcode integration}. */
export interface IntegrationDefinition<F extends FixtureRecord>
  extends IntegrationOptions<F> {
  /** The test's name; `[integration] ` is put in front of it. */
  name: string;
  /** The test body. */
  fn: IntegrationFn<F>;
}
