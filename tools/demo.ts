// `deno task demo`: runs the example suite against local services (a health
// endpoint, PostgreSQL, S3 and Redis, started here unless configured) and
// prints the run summary. The example suite runs with the "examples" permission set of
// deno.json (`deno test -P=examples`), not -A.
import { runWithServices } from "../cli.ts";

await using health = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  (request) =>
    new URL(request.url).pathname === "/health"
      ? Response.json({ status: "healthy" })
      : new Response("not found", { status: 404 }),
);
const code = await runWithServices(
  [
    Deno.execPath(),
    "test",
    // The "examples" permission set of deno.json: no -A.
    "-P=examples",
    "--sanitize-ops",
    "--sanitize-resources",
    "examples/",
  ],
  {
    HEALTH_URL: `http://127.0.0.1:${health.addr.port}/health`,
    ITKIT_SUMMARY: "1",
    ITKIT_REQUIRE: "1",
  },
);
await health.shutdown();
Deno.exit(code);
