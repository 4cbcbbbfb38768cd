/**
 * A throwaway server of a service you define, as its `start()` returns it:
 * its program on 127.0.0.1 and a free port, in a fresh private directory,
 * waited for until its probe passes, its output kept in that directory, and
 * stopped with everything it started (by the reaper if the process that
 * started it dies).
 *
 * @module
 */

import type { ServerHandle } from "../run/server_handle.ts";

/** A throwaway server of a service; `await using` stops it. */
export interface ServiceServer extends ServerHandle<URL, "launched"> {
  /** Its URL (as `env` exports it). */
  readonly url: string;
  /** Its pid. */
  readonly pid: number;
  /** Its private directory (removed when it stops). */
  readonly dir: string;
  /** The file its output goes to, in `dir`. */
  readonly logFile: string;
  /**
   * What it printed so far (the last 256 KiB).
   *
   * @returns The text.
   */
  output(): string;
}

/** Options of a service's `start()`. */
export interface ServiceStartOptions {
  /**
   * Register the server with the reaper, which stops it if this process
   * dies (SIGKILL included). Off for a server the caller stops itself in
   * every case (the command line's).
   *
   * @default {true}
   */
  reaper?: boolean;
}
