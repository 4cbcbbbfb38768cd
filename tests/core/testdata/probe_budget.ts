// Probes a server that never answers with the default budget, which
// ITKIT_PROBE_TIMEOUT sets; prints the reason.
import { probeHttp } from "../../../mod.ts";

const result = await probeHttp(`http://127.0.0.1:${Deno.env.get("PORT")}/`);
console.log(`REASON ${result.reason}`);
Deno.test("nothing", () => {});
