// A command for `cli.ts run`: reports the signals it receives, then exits 42.
// Run with `deno run`, not `deno test`.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    console.log(`GOT ${signal}`);
    Deno.exit(42);
  });
}
console.log("READY");
setTimeout(() => {
  console.log("NO SIGNAL");
  Deno.exit(1);
}, 30_000);
