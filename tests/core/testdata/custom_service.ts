// Two tests on the custom service (_kv_service.ts), each with a space of its
// own: each writes a key and sees only its own. Prints `SPACE <name>`. With
// KV_HANG=1 the first prints READY and hangs until the process is killed;
// with KV_LEAK=1 a third test takes a standalone space it never disposes.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { kv } from "./_kv_service.ts";

const up = await kv.probe();
const hang = Deno.env.get("KV_HANG") === "1";
const leak = Deno.env.get("KV_LEAK") === "1";

for (const which of ["a", "b"]) {
  integration(`kv space ${which}`, {
    requires: [up],
    fixtures: { space: kv.fixture() },
  }, async (_t, { space }) => {
    console.log(`SPACE ${space.name}`);
    await space.put("key", which);
    assert.deepEqual(await space.keys(), ["key"]);
    if (hang && which === "a") {
      console.log("READY");
      await new Promise(() => setInterval(() => {}, 1000));
    }
  });
}

if (leak) {
  integration("kv space never disposed", {
    requires: [up],
    permissions: kv.clientPermissions(),
  }, async () => {
    const space = await kv();
    await space.put("left", "behind");
    console.log(`SPACE ${space.name}`);
  });
}
