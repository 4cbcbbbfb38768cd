// Internal: where the user registered a test, for Deno to report instead of
// the toolkit's own `Deno.test` call. Deno 2.9 reads a location from the test
// function's `Symbol.for("Deno.test.location")` ("<url>:<line>:<column>", the
// form @std/testing/bdd uses); older versions ignore it.

/** The key Deno reads a test function's location from. */
const LOCATION = Symbol.for("Deno.test.location");

/** The toolkit's own source files: `src/` beside this folder. */
const TOOLKIT_SRC = new URL("../", import.meta.url).href;

/** `at f (file:///x.ts:3:5)` or `at file:///x.ts:3:5`: url, line, column. */
const FRAME = /(?:\(|at )((?:file|https?|jsr|npm):[^()\s]*?):(\d+):(\d+)\)?$/;

/**
 * The first frame of the current stack outside the toolkit's `src/`
 * (source-mapped by Deno: the line in the user's `.ts` file), as
 * `"<url>:<line>:<column>"`, or `undefined` when there is none.
 */
export function callerLocation(): string | undefined {
  const limit = Error.stackTraceLimit;
  // Registration is a few toolkit frames deep (group → test → integration).
  Error.stackTraceLimit = 16;
  const holder: { stack?: string } = {};
  try {
    Error.captureStackTrace(holder, callerLocation);
  } finally {
    Error.stackTraceLimit = limit;
  }
  for (const line of (holder.stack ?? "").split("\n").slice(1)) {
    const match = FRAME.exec(line.trim());
    if (!match || match[1]!.startsWith(TOOLKIT_SRC)) continue;
    return `${match[1]}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/**
 * Marks `fn` so that Deno reports `location` (from
 * {@linkcode callerLocation}) as its test's place.
 *
 * @returns `fn`.
 */
export function atLocation<T extends object>(
  fn: T,
  location: string | undefined,
): T {
  if (location !== undefined) {
    Object.defineProperty(fn, LOCATION, { value: location });
  }
  return fn;
}
