// `deno run` script of bench/sections/overhead.ts: the wrapper's own cost,
// in-process and without the test runner's noise. Registers and runs (empty)
// 20,000 integration() tests through a stand-in Deno.test that only collects
// definitions; prints `{ register, run }`, microseconds per test.
const tests: Deno.TestDefinition[] = [];
(Deno as { test: unknown }).test = (definition: Deno.TestDefinition) =>
  tests.push(definition);
// Imported after the stand-in is in place.
const { integration } = await import("../../../mod.ts");
const N = 20000;
const t = {
  name: "x",
  origin: "o",
  step: () => Promise.resolve(true),
} as unknown as Deno.TestContext;
let s = performance.now();
for (let i = 0; i < N; i++) integration("t" + i, () => {});
const register = (performance.now() - s) / N * 1000;
s = performance.now();
for (const d of tests) await d.fn(t);
const run = (performance.now() - s) / N * 1000;
console.log(JSON.stringify({ register, run }));
