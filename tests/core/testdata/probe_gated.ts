import { integration, probeHttp, probeTcp } from "../../../mod.ts";

// The default budget (ITKIT_PROBE_TIMEOUT): the "up" cases probe a live
// server, which a loaded machine may take more than a fixed 500 ms to answer.
const port = Number(Deno.env.get("ITKIT_TEST_PORT"));
const tcp = await probeTcp("127.0.0.1", port);
const http = await probeHttp(`http://127.0.0.1:${port}/health`);

integration("talks to the tcp service", { requires: [tcp] }, () => {
  console.log("BODY RAN tcp");
});
integration("talks to the http service", { requires: [http] }, () => {
  console.log("BODY RAN http");
});
Deno.test("plain test still runs", () => {});
