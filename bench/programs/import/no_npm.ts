// `deno run --no-npm` script of bench/sections/import.ts: mod.ts imports,
// and its tmpDir fixture works, with the npm packages (AWS SDK, postgres.js)
// out of reach. Prints how long that took, in ms.
const t = performance.now();
const m = await import("../../../mod.ts");
await using _dir = await m.tmpDir();
console.log(performance.now() - t);
