// A custom probe with a synchronous check that fails, and a test needing it.
import { integration, probe } from "../../../mod.ts";

const flags = await probe(
  "feature flag service",
  () => "not configured in this environment",
);

integration("uses feature flags", { requires: [flags] }, () => {
  console.log("BODY RAN flags");
});
integration("needs no service", () => {});
