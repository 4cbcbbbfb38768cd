import { integration, type ProbeResult, probeTcp } from "../../../mod.ts";

const port = Number(Deno.env.get("ITKIT_TEST_PORT"));
const db = probeTcp("127.0.0.1", port); // not awaited

integration("forgot to await the probe", {
  requires: [db as unknown as ProbeResult],
}, () => {});
