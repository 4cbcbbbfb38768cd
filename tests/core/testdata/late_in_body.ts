import { integration } from "../../../mod.ts";

Deno.test("registers from inside a test", () => {
  integration("registered from a test body", () => {});
});
