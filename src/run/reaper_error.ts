/**
 * The error of a reaper that ended before its test process.
 *
 * @module
 */

/**
 * The reaper (the helper process that removes what fixtures created when the
 * test process ends, however it ends) ended while its test process was still
 * running: killed, out of memory, or unable to start. The integration test
 * that notices it fails with this error, which names what the reaper said,
 * what it held, and its log; from then on fixtures remove what they create
 * themselves.
 *
 * @example
 * ```ts
 * import { ReaperError } from "../../mod.ts";
 *
 * const error = new ReaperError("the reaper (pid 1) was killed by SIGKILL");
 * console.log(error.name); // ReaperError
 * ```
 */
export class ReaperError extends Error {
  /**
   * Creates the error.
   *
   * @param message What happened, with the reaper's log.
   */
  constructor(message: string) {
    super(message);
    this.name = "ReaperError";
  }
}
