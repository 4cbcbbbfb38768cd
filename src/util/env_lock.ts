// Internal: the process-wide hold that keeps an env fixture's values away
// from the other test modules of a `deno test --parallel` run.
//
// Deno runs each test module of a `--parallel` run in a worker thread of one
// process: `globalThis` is the worker's own, `Deno.env` is the process's. So
// while an env fixture's values are in place, no toolkit code of another
// module may run: not its loading (top-level probes and configuration reads),
// not its integration tests. A readers/writer lock across the workers says
// so: a worker holds it shared while its module loads (from the first import
// of the toolkit to the `load` event) and while each integration test without
// an env fixture runs; an env fixture holds it exclusively for its life (a
// test that declares one, for the whole test; a module-scoped one, for the
// module's life).
//
// The lock is `flock` on `/proc/self/stat`, opened once per worker at module
// load: every worker of the process opens the same file, flock locks on
// separate opens of it exclude each other (even within one process), no other
// process opens this process's file, and there is nothing to create or remove.
// Taking and releasing it needs no permission inside a test (the file is
// already open). Deno opens /proc/self only with --allow-all: without it, or
// off Linux, there is no hold (the README says what is then unsafe).

const file: Deno.FsFile | undefined = openLockFile();

/** How many holds of each kind this worker has; its flock follows them. */
let shared = 0;
let exclusive = 0;
/** What this worker's flock is: 0 none, 1 shared, 2 exclusive. */
let level: 0 | 1 | 2 = 0;
/** The acquisition that waits for other workers, if any (one at a time). */
let waiting: Promise<unknown> | undefined;

/** Gives a hold back. Idempotent. */
export type Release = () => void;

const NOTHING: Release = () => {};

/** Whether this process has the hold (else holds are no-ops). */
export function envLockAvailable(): boolean {
  return file !== undefined;
}

/**
 * Takes a hold: shared (any number of workers) or exclusive (this worker
 * only). Synchronous when it can be taken at once (the common case, one
 * `flock` call), else a promise that resolves once the other workers let go.
 * A worker's holds nest: an exclusive hold covers the shared ones.
 *
 * With a `signal` (the test's), the wait rejects with its reason when it
 * aborts, and a hold that arrives after that is given back at once.
 *
 * @returns Its release.
 */
export function holdEnv(
  exclusively: boolean,
  signal?: AbortSignal,
): Release | Promise<Release> {
  if (file === undefined) return NOTHING;
  if (waiting === undefined && take(file, exclusively)) {
    return releaser(exclusively);
  }
  const acquired = wait(file, exclusively);
  if (signal === undefined) return acquired;
  return new Promise<Release>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    acquired.then((release) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) {
        release(); // nobody waits for it any more
        reject(signal.reason);
      } else resolve(release);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/** Waits for the other workers, one acquisition at a time. */
function wait(file: Deno.FsFile, exclusively: boolean): Promise<Release> {
  return (async () => {
    while (waiting !== undefined) await waiting.catch(() => {});
    if (!take(file, exclusively)) {
      const until = file.lock(exclusively);
      waiting = until;
      try {
        await until;
      } finally {
        waiting = undefined;
      }
      level = exclusively ? 2 : 1;
      count(exclusively, 1);
    }
    return releaser(exclusively);
  })();
}

/** Takes a hold only if that needs no wait. */
function take(lock: Deno.FsFile, exclusively: boolean): boolean {
  const want = exclusively ? 2 : 1;
  if (level < want) {
    // Upgrading from shared: flock converts by unlocking first, so a failed
    // try leaves this worker with no lock; the wait that follows takes it.
    const had = level;
    if (!lock.tryLockSync(exclusively)) {
      if (had > 0) level = 0;
      return false;
    }
    level = want;
  }
  count(exclusively, 1);
  return true;
}

function count(exclusively: boolean, by: number): void {
  if (exclusively) exclusive += by;
  else shared += by;
}

function releaser(exclusively: boolean): Release {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    count(exclusively, -1);
    // An exclusive hold is kept while shared ones remain in this worker
    // (a standalone env fixture inside a test): downgrading could wait.
    if (shared + exclusive === 0 && level > 0 && waiting === undefined) {
      file!.unlockSync();
      level = 0;
    }
  };
}

function openLockFile(): Deno.FsFile | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const path = "/proc/self/stat";
  // Deno grants /proc/self only with --allow-all: check without prompting.
  for (
    const descriptor of [
      { name: "read", path },
      { name: "write" },
      { name: "run" },
      { name: "ffi" },
      { name: "sys" },
      { name: "net" },
      { name: "env" },
    ] as const
  ) {
    if (Deno.permissions.querySync(descriptor).state !== "granted") {
      return undefined;
    }
  }
  try {
    return Deno.openSync(path);
  } catch {
    return undefined;
  }
}

// While this module's worker loads its test module (top-level probes and
// configuration reads), no env fixture of another worker may have its values
// in place: hold shared until the `load` event, or until the worker's first
// integration test starts (the toolkit was imported after loading).
let loading: Release | undefined;
{
  const held = holdEnv(false);
  loading = typeof held === "function" ? held : await held;
  globalThis.addEventListener?.("load", endLoadHold);
}

/** Ends the module-load hold (at the `load` event, or a test's start). */
export function endLoadHold(): void {
  loading?.();
  loading = undefined;
}

/**
 * Fixture declarations whose tests hold the lock exclusively (env fixtures).
 * Checked at registration.
 */
const exclusiveDeclarations = new WeakSet<object>();

/**
 * Marks a fixture declaration as changing process-wide state: a test that
 * declares it holds the lock exclusively for its whole run.
 *
 * @returns The declaration.
 */
export function holdsExclusively<T extends object>(declaration: T): T {
  exclusiveDeclarations.add(declaration);
  return declaration;
}

/** Whether a test that declares `declaration` must hold the lock exclusively. */
export function needsExclusive(declaration: object): boolean {
  return exclusiveDeclarations.has(declaration);
}

/** Runs `fn` with a shared hold (a module fixture's setup or disposal). */
export async function withSharedHold<T>(fn: () => Promise<T>): Promise<T> {
  const held = holdEnv(false);
  const release = typeof held === "function" ? held : await held;
  try {
    return await fn();
  } finally {
    release();
  }
}
