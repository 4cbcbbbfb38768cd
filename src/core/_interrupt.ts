// Internal: Ctrl-C (SIGINT) and SIGTERM in the test process. The running
// tests' fixtures are disposed, innermost scope first and each scope in
// reverse setup order, then the module-scoped ones, then the process ends by
// the signal itself (the shell sees 130 or 143). A second signal ends it at
// once, as does a disposal still running after the grace period; the reaper
// removes whatever was left outside the process.
//
// Under `deno test`, SIGINT is taken by Deno's own test runner (it lists the
// pending tests and exits 130 before any listener runs): there, the reaper
// is what cleans up. SIGTERM (GNU `timeout`, `kill`, a cancelled CI job) and
// SIGINT outside `deno test` come here.
//
// While the signal is handled, no integration() test starts or ends: a test
// that finished meanwhile could let the run end with 0 before the process
// dies. If the process does not die (another listener for the signal, e.g.
// an app's graceful shutdown, keeps it alive), the held tests fail.

import type { FixtureScopeRun } from "./_scope.ts";
import { raceDeadline } from "../util/deadline.ts";
import { describe } from "../util/text.ts";

/** The open scopes of every test running in this process. */
const running = new Set<FixtureScopeRun[]>();
/** Disposes the module-scoped fixtures (set by _module_scope.ts). */
let disposeModule: (() => Promise<unknown[]>) | undefined;
let interrupted: Deno.Signal | undefined;

/** How long disposal may take after a signal before the process just exits. */
const GRACE_MS = 10_000;

/**
 * Tracks a running test's open scopes (the array grows and shrinks as steps
 * open and close) until the returned function is called.
 *
 * @param live The test's open scopes, outermost first.
 * @returns Stops tracking them.
 */
export function trackLiveScopes(live: FixtureScopeRun[]): () => void {
  running.add(live);
  return () => running.delete(live);
}

/**
 * Registers how to dispose the module-scoped fixtures on a signal.
 *
 * @param dispose Disposes them once, resolving to their failures.
 */
export function onInterruptDisposeModule(
  dispose: () => Promise<unknown[]>,
): void {
  disposeModule = dispose;
}

/**
 * Whether a signal is being handled: the process is about to end by it.
 * A test that starts or ends now must wait for that instead (see
 * {@linkcode holdWhileInterrupted}).
 *
 * @returns Whether SIGINT or SIGTERM has been received.
 */
export function isInterrupted(): boolean {
  return interrupted !== undefined;
}

let failHeld: (error: Error) => void = () => {};

/**
 * What a test awaits once the process is ending by a signal, so that
 * `deno test` neither moves on to the next test nor ends the run with 0
 * while the fixtures are being disposed. It settles only if the process
 * outlives the signal: then it rejects, failing the held tests.
 */
export const holdWhileInterrupted: Promise<never> = new Promise<never>(
  (_, reject) => failHeld = reject,
);
holdWhileInterrupted.catch(() => {}); // rejected with no test held: fine

async function handle(signal: Deno.Signal): Promise<void> {
  const code = signal === "SIGINT" ? 130 : 143;
  if (interrupted) return die(signal); // a second signal: now
  interrupted = signal;
  const errors: unknown[] = [];
  let disposed = 0;
  const work = (async () => {
    for (const live of [...running].toReversed()) {
      for (const scope of live.toReversed()) {
        errors.push(...await scope.close());
        disposed++;
      }
    }
    if (disposeModule) errors.push(...await disposeModule());
  })();
  const finished = await raceDeadline(
    work.then(() => true),
    GRACE_MS,
    () => false,
  ).catch((error) => (errors.push(error), true));
  for (const error of errors) say(`itkit: ${describe(error)}`);
  say(
    `itkit: ${signal}: disposed the fixtures of ${disposed} open scope(s)${
      finished ? "" : ` (gave up after ${GRACE_MS} ms)`
    }; exiting with ${code}`,
  );
  // What the tests printed before the signal travels to `deno test`'s
  // reporter (on another thread), which prints it a moment later: a short
  // wait gives it that moment, which no assertion and none of our lines
  // (written above, synchronously) depend on. The wait blocks this thread, so
  // no test finishes meanwhile (the run would end with 0 before the process
  // dies).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OUTPUT_FLUSH_MS);
  die(signal);
  // Still here a moment later: something else handles the signal.
  setTimeout(() =>
    failHeld(
      new Error(
        `${signal}: the process did not end by the signal (another ${signal} listener keeps it alive); the tests held meanwhile fail`,
      ),
    ), SURVIVED_MS);
}

/** How long after killing itself the process counts as having survived. */
const SURVIVED_MS = 1_000;

/**
 * How long the tests' last output gets to reach `deno test`'s reporter
 * before the process dies: best effort, for the user's reading only.
 */
const OUTPUT_FLUSH_MS = 500;

/**
 * The process's own stderr, opened where the handlers are installed (at
 * module load, with the process's permissions: a test's narrower ones do not
 * apply to a file already open). Under `deno test`, `console.error` goes to
 * the runner's reporter, on another thread, which may not have printed it
 * when the process dies by the signal; a synchronous write here is out
 * before that.
 */
let stderr: Deno.FsFile | undefined;

/** Writes `line` to the process's stderr at once, else through the console. */
function say(line: string): void {
  if (stderr) {
    try {
      const bytes = new TextEncoder().encode(`${line}\n`);
      for (let at = 0; at < bytes.length;) {
        at += stderr.writeSync(bytes.subarray(at));
      }
      return;
    } catch {
      stderr = undefined; // closed: the console, from now on
    }
  }
  console.error(line);
}

/** Opens the process's stderr for {@linkcode say}, where that is allowed. */
function openStderr(): void {
  if (Deno.build.os === "windows") return;
  try {
    const path = "/dev/stderr";
    const { state } = Deno.permissions.querySync({ name: "write", path });
    if (state === "granted") stderr = Deno.openSync(path, { write: true });
  } catch {
    // Not a file that opens (a socket), or not allowed: the console.
  }
}

/**
 * Ends the process the way the signal would have (the shell sees 130 or
 * 143): our listeners removed, the signal's default action applies. Deno's
 * test runner turns `Deno.exit` inside a test into a test failure instead.
 */
function die(signal: Deno.Signal): void {
  for (const [name, listener] of listeners) {
    Deno.removeSignalListener(name, listener);
  }
  Deno.kill(Deno.pid, signal);
}

const listeners = new Map<Deno.Signal, () => void>();
let installed = false;

/**
 * Listens for SIGINT and SIGTERM, once per process. Called when a test is
 * registered (module load, before any test, so the listeners never trip a
 * test's sanitizers), never by a process that only imports the module (the
 * CLI handles its own signals).
 */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  openStderr();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const listener = (): void => void handle(signal);
    try {
      Deno.addSignalListener(signal, listener);
      listeners.set(signal, listener);
    } catch {
      // No signals here (Windows lacks SIGTERM): the default applies.
    }
  }
}
