// Tests that ask for more than their `deno test` process was given (run
// without --allow-net and without ITKIT_ESCALATED in --allow-env): Deno
// refuses to start them.
import { httpServer, integration } from "../../../mod.ts";

integration("asks for a variable", {
  permissions: { env: ["ITKIT_ESCALATED"] },
}, () => {});

integration("serves", {
  fixtures: { server: httpServer.fixture({ handler: () => new Response() }) },
}, () => {});
