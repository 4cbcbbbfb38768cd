// Internal: what a fixture wants shown when its test fails (the app under
// test's output). A fixture adds a note during setup, keyed by its test's
// signal; the run of the test (`_run.ts`) prints the notes after the fixtures
// were disposed, only when the test failed. A standalone fixture's notes are
// never printed (nothing reads them).

const notes = new WeakMap<AbortSignal, (() => string)[]>();

/**
 * Adds a note to show if the test whose signal is `signal` fails.
 *
 * @param signal The test's signal (a fixture's `context.signal`).
 * @param note Returns the text, when the test has failed.
 */
export function addFailureNote(signal: AbortSignal, note: () => string): void {
  let list = notes.get(signal);
  if (!list) notes.set(signal, list = []);
  list.push(note);
}

/**
 * The notes of the test whose signal is `signal`, once: their texts.
 *
 * @param signal The test's signal.
 * @returns The texts (empty ones left out).
 */
export function takeFailureNotes(signal: AbortSignal): string[] {
  const list = notes.get(signal) ?? [];
  notes.delete(signal);
  const texts: string[] = [];
  for (const note of list) {
    try {
      const text = note();
      if (text) texts.push(text);
    } catch (error) {
      texts.push(`(a fixture's note failed: ${error})`);
    }
  }
  return texts;
}
