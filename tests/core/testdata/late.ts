import { integration, probe } from "../../../mod.ts";

integration("registered in time", () => {});

// The classic mistake: registering from a probe's callback instead of
// awaiting the probe at top level.
// (Its check ends only after the module's load event, however slow the
// machine: it is still running when the module finishes loading.)
const afterLoad = () =>
  new Promise<void>((resolve) =>
    addEventListener("load", () => setTimeout(resolve, 0))
  );
probe("slow service", afterLoad).then((service) => {
  integration("registered from a callback", { requires: [service] }, () => {});
});
