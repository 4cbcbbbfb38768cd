import assert from "node:assert/strict";
import { integration, probeHttp } from "../mod.ts";

// The service's health endpoint; `deno task demo` starts one and sets it.
const healthUrl = Deno.env.get("HEALTH_URL") ?? "http://127.0.0.1:8787/health";
// Its budget is ITKIT_PROBE_TIMEOUT (10000 ms unless set): only a service
// that takes the connection and never answers costs it.
const health = await probeHttp(healthUrl);

integration("health endpoint reports healthy", {
  requires: [health],
  permissions: { net: [new URL(healthUrl).host] },
}, async () => {
  const response = await fetch(healthUrl);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "healthy" });
});
