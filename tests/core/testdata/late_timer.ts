import { delay, integration } from "../../../mod.ts";

integration("takes a while", async () => await delay(300));

// Set once the module has loaded: on a busy machine a timer set at the top
// level can fire before the module's load event, while registering still
// works.
globalThis.addEventListener("load", () => {
  setTimeout(() => integration("registered from a timer", () => {}), 50);
});
