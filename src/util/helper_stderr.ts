// Internal: what a helper process (the reaper, the clone helper) says on its
// stderr when its log cannot take a line (a full disk, a removed directory).
// That stderr is a pipe its parent reads only once the helper has ended (see
// helper_process.ts): past about 64 KiB a write there would block, and with
// it the helper's removals. So only the first line that the log could not
// take goes there; the others are counted, and the count is said once, as
// the helper exits.

/** The stderr of a helper whose log may fail. */
export class LogFallback {
  readonly #who: string;
  #broken: { error: unknown } | undefined;
  #unsaid = 0;

  /**
   * @param who How the helper names itself (`reaper 1234`).
   */
  constructor(who: string) {
    this.#who = who;
  }

  /** The first failure to write the log, if any. */
  get broken(): { error: unknown } | undefined {
    return this.#broken;
  }

  /**
   * The log could not take `line`: said on stderr the first time, counted
   * after.
   *
   * @param line The line, as it was to be logged.
   * @param error Why the log could not take it.
   */
  failed(line: string, error: unknown): void {
    if (this.#broken !== undefined) {
      this.#unsaid++;
      return;
    }
    this.#broken = { error };
    say(`itkit: ${line.trimEnd()}`);
  }

  /**
   * Says, as the helper exits, that its log is incomplete, and how many of
   * the lines it missed were not said on stderr either. Nothing when the
   * log took every line.
   */
  end(): void {
    if (this.#broken === undefined) return;
    const { error } = this.#broken;
    say(
      `itkit: ${this.#who}: its log is incomplete: ${
        error instanceof Error ? error.message : error
      }${
        this.#unsaid > 0
          ? ` (${this.#unsaid} more line(s) it could not write are not said here either)`
          : ""
      }`,
    );
  }
}

/** Writes a line to stderr; a parent gone (a broken pipe) takes nothing. */
function say(line: string): void {
  try {
    console.error(line);
  } catch {
    // Nobody reads it any more.
  }
}
