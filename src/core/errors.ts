/**
 * Errors the toolkit throws where callers may want to tell them apart.
 *
 * @module
 */

import { describe } from "../util/text.ts";

/**
 * A fixture failed to set up or to clean up. The message names the fixture as
 * declared on the test and its kind; the original failure is the `cause`.
 *
 * @example Telling a cleanup failure apart
 * ```ts
 * import { FixtureError } from "../../mod.ts";
 *
 * const error = new FixtureError("dir", "tmpDir", "cleanup", new Error("busy"));
 * console.log(error.message); // fixture "dir" (tmpDir) failed to clean up: busy
 * ```
 */
export class FixtureError extends Error {
  /** The fixture's name in the test's `fixtures` declaration. */
  readonly fixture: string;
  /** The fixture's kind (`tmpDir`, `s3Bucket`, ...). */
  readonly kind: string;
  /** Whether setup or cleanup failed. */
  readonly phase: "setup" | "cleanup";

  /**
   * Creates the error.
   *
   * @param fixture The fixture's name in the declaration.
   * @param kind The fixture's kind.
   * @param phase Whether setup or cleanup failed.
   * @param cause The original failure.
   */
  constructor(
    fixture: string,
    kind: string,
    phase: "setup" | "cleanup",
    cause: unknown,
  ) {
    const verb = phase === "setup" ? "set up" : "clean up";
    super(
      `fixture "${fixture}" (${kind}) failed to ${verb}: ${describe(cause)}`,
      { cause },
    );
    this.name = "FixtureError";
    this.fixture = fixture;
    this.kind = kind;
    this.phase = phase;
  }
}

/**
 * A test ran past its budget: the test's `timeout` option, else
 * `ITKIT_TIMEOUT`, else 30000 ms. The message names the phase it was in:
 * `while setting up "db" (postgresDatabase)`, `in the body`, `in step "x"`,
 * `while cleaning up "bucket" (s3Bucket)`. Its fixtures were disposed (or,
 * when cleanup itself ran out of its budget, left to finish in the
 * background) before the test was reported as failed.
 *
 * @example Telling a timeout apart
 * ```ts
 * import { IntegrationTimeoutError } from "../../mod.ts";
 *
 * const error: unknown = new IntegrationTimeoutError("uploads", 500, "in the body");
 * if (error instanceof IntegrationTimeoutError) {
 *   console.log(error.message); // Test timeout of 500 ms exceeded in the body
 *   console.log(error.test, error.timeout, error.phase); // uploads 500 in the body
 * }
 * ```
 */
export class IntegrationTimeoutError extends Error {
  /** The test's name. */
  readonly test: string;
  /** The budget that ran out, in milliseconds. */
  readonly timeout: number;
  /** Where the test was: `in the body`, `while setting up "db" (postgresDatabase)`, … */
  readonly phase: string;

  /**
   * Creates the error.
   *
   * @param test The test's name.
   * @param timeout The budget in milliseconds.
   * @param phase Where the test was when the budget ran out.
   * @param hint Appended in parentheses: where the budget came from.
   */
  constructor(
    test: string,
    timeout: number,
    phase: string = "in the body",
    hint?: string,
  ) {
    super(
      `Test timeout of ${timeout} ms exceeded ${phase}${
        hint === undefined ? "" : ` (${hint})`
      }`,
    );
    this.name = "IntegrationTimeoutError";
    this.test = test;
    this.timeout = timeout;
    this.phase = phase;
  }
}

/**
 * A required service was not available in require mode (`ITKIT_REQUIRE=1`):
 * the test fails with it instead of being ignored. The message carries the
 * probes' reasons.
 *
 * @example Telling an unavailable service apart
 * ```ts
 * import { ServiceUnavailableError } from "../../mod.ts";
 *
 * const error: unknown = new ServiceUnavailableError([
 *   "s3 http://127.0.0.1:9000: connection refused 127.0.0.1:9000",
 * ]);
 * if (error instanceof ServiceUnavailableError) {
 *   console.log(error.reasons); // [ "s3 http://127.0.0.1:9000: connection refused 127.0.0.1:9000" ]
 * }
 * ```
 */
export class ServiceUnavailableError extends Error {
  /** One line per unavailable service: probe name, target and reason. */
  readonly reasons: readonly string[];

  /**
   * Creates the error.
   *
   * @param reasons One line per unavailable service.
   */
  constructor(reasons: readonly string[]) {
    super(
      `required service unavailable (ITKIT_REQUIRE is set): ${
        reasons.join("; ")
      }`,
    );
    this.name = "ServiceUnavailableError";
    this.reasons = reasons;
  }
}

/**
 * A promise rejection nobody handled, or an error thrown from a timer or event
 * handler, between the first fixture's setup and the last disposal of an
 * integration test (or of a step: then the step fails), or while a standalone
 * fixture was in use. Deno would abandon the whole test module (skipping every
 * cleanup); the toolkit fails the test instead, after disposing its fixtures.
 * The original error is the `cause`.
 *
 * @example Telling a stray error apart
 * ```ts
 * import { UncaughtInTestError } from "../../mod.ts";
 *
 * const error: unknown = new UncaughtInTestError(
 *   { test: "uploads", step: "retry" },
 *   new Error("socket hang up"),
 * );
 * if (error instanceof UncaughtInTestError) {
 *   console.log(error.message); // unhandled error during test "uploads", step "retry": socket hang up
 *   console.log(error.test, error.step, error.cause); // uploads retry Error: socket hang up
 * }
 * ```
 */
export class UncaughtInTestError extends Error {
  /** The integration test it happened in, if known. */
  readonly test: string | undefined;
  /** The step it happened in, if any. */
  readonly step: string | undefined;
  /** The standalone fixture that caught it, outside an integration test. */
  readonly fixture: string | undefined;

  /**
   * Creates the error.
   *
   * @param where The test's name, or where it happened: the test and step,
   *   or the kind of the standalone fixture that caught it.
   * @param cause What escaped.
   */
  constructor(
    where: string | { test?: string; step?: string; fixture?: string },
    cause: unknown,
  ) {
    const { test, step, fixture } = typeof where === "string"
      ? { test: where, step: undefined, fixture: undefined }
      : where;
    const place = test !== undefined
      ? `during test "${test}"${step !== undefined ? `, step "${step}"` : ""}`
      : `while standalone fixture ${fixture ?? "?"} was in use`;
    super(`unhandled error ${place}: ${describe(cause)}`, { cause });
    this.name = "UncaughtInTestError";
    this.test = test;
    this.step = step;
    this.fixture = fixture;
  }
}

/**
 * Throws nothing for no errors, the error itself for one, and an
 * `AggregateError` listing them all for several: how a test, a step or a
 * standalone fixture reports what went wrong in it.
 *
 * @param errors The failures, in the order they happened.
 * @param where What failed, for the aggregate's message (`"uploads"`,
 *   `step "x"`).
 * @throws {AggregateError} For more than one error; the one error itself.
 *
 * @example
 * ```ts
 * import { throwAll } from "./errors.ts";
 *
 * throwAll([], "a passing test"); // nothing to throw
 * try {
 *   throwAll([new Error("a"), new Error("b")], `"uploads"`);
 * } catch (error) {
 *   console.log((error as AggregateError).message);
 *   // 2 failures in "uploads":
 *   //   1. a
 *   //   2. b
 * }
 * ```
 */
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
