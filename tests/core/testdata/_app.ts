// The app under test of app_server.ts: a small HTTP server on 127.0.0.1 and
// $PORT. It prints what it starts with; with SPAWN_CHILD=1 it starts a child
// process (which starts nothing) and prints its pid; with IGNORE_TERM=1 it
// ignores SIGTERM (only SIGKILL stops it); with EXIT_AT_START=1 it prints a
// line and exits with code 3.
const port = Number(Deno.env.get("PORT"));
console.log(`app starting on port ${port}`);
if (Deno.env.get("EXIT_AT_START") === "1") {
  console.error("app: cannot open the database (on purpose)");
  Deno.exit(3);
}
if (Deno.env.get("IGNORE_TERM") === "1") {
  Deno.addSignalListener("SIGTERM", () => console.log("app ignores SIGTERM"));
}
if (Deno.env.get("SPAWN_CHILD") === "1") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "setInterval(() => {}, 1000)"],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  console.log(`app child ${child.pid}`);
}
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/health") return Response.json({ status: "ok" });
  if (path === "/env") {
    return Response.json({
      DATA_DIR: Deno.env.get("DATA_DIR") ?? null,
      GREETING: Deno.env.get("GREETING") ?? null,
      PORT: Deno.env.get("PORT") ?? null,
    });
  }
  console.log(`app got ${path}`);
  return new Response("not found", { status: 404 });
});
console.log(`app listening on ${port} (pid ${Deno.pid})`);
