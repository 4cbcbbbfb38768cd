// Internal: whether the test module is still loading. Deno drops a test
// registered once its module has loaded (and once its tests run); work a
// module's tests wait for (in a `beforeAll` hook) may start only while it
// loads, outside every test's sanitizers.

let loaded = false;
let started = false;
globalThis.addEventListener?.("load", () => {
  loaded = true;
});

/** Notes that a test of the module has started. */
export function noteTestStarted(): void {
  started = true;
}

/**
 * Whether the module is still loading: its `load` event has not fired and
 * no test has started.
 *
 * @returns Whether it is.
 */
export function atModuleLoad(): boolean {
  return !loaded && !started;
}
