// Signals between the test files of one `deno test --parallel` run, through
// files in ITKIT_GATE_DIR, to make them overlap deterministically. A file
// waits for another file's signal, or until Linux's lock table shows a
// worker of this process waiting for itkit's lock (the other file is held
// off: it cannot reach the point that would signal).

const dir = Deno.env.get("ITKIT_GATE_DIR")!;

/** Writes signal `name`. */
export function signal(name: string): void {
  Deno.writeTextFileSync(`${dir}/${name}`, "");
}

/** Whether signal `name` was written. */
function signalled(name: string): boolean {
  try {
    Deno.statSync(`${dir}/${name}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a worker of this process waits for a flock (`"READ"` or
 * `"WRITE"`), from /proc/locks.
 */
function lockWaiter(kind: "READ" | "WRITE"): boolean {
  return Deno.readTextFileSync("/proc/locks").split("\n").some((line) =>
    /->\s+FLOCK\s+ADVISORY\s+/.test(line) &&
    line.includes(` ${kind} ${Deno.pid} `)
  );
}

/**
 * Waits until signal `name` is written or, with `orWaiter`, a worker of this
 * process waits for the lock that way. Fails after `ms`, 60 s unless given
 * (a loaded machine starts a file's worker in a few seconds at worst).
 *
 * @returns What happened: `signal` or `waiter`.
 */
export async function waitFor(
  name: string,
  orWaiter?: "READ" | "WRITE",
  ms = 60_000,
): Promise<"signal" | "waiter"> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (signalled(name)) return "signal";
    if (orWaiter && lockWaiter(orWaiter)) return "waiter";
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${ms / 1000} s for signal "${name}"${
          orWaiter ? ` or a ${orWaiter} lock waiter` : ""
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
