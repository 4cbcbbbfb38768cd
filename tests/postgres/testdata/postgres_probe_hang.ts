// A server that accepts connections and never answers: the probe gives up on
// its budget, and the module's tests are still registered and reported.
import { integration } from "../../../mod.ts";
import { probePostgres } from "../../../postgres.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const held: Deno.Conn[] = [];
(async () => {
  for await (const conn of listener) held.push(conn);
})();
const port = (listener.addr as Deno.NetAddr).port;
const hung = await probePostgres(
  { host: "127.0.0.1", port, user: "u", password: "p", database: "d" },
  { timeout: 300 },
);
console.log(`PROBE ${hung.reason}`);

integration("needs the hung server", { requires: [hung] }, () => {});
integration("runs anyway", () => {});
