// `deno run` script of bench/sections/import.ts: prints how long importing
// mod.ts takes, in ms.
const t = performance.now();
await import("../../../mod.ts");
console.log(performance.now() - t);
