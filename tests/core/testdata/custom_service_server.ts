// The test module starts its own custom server (kv.start(), at module load):
// the reaper stops it when the process ends, however it ends. Prints
// `READY <pid> <dir>` from its test, which hangs with KV_HANG=1.
import { integration } from "../../../mod.ts";
import { kv } from "./_kv_service.ts";

const server = await kv.start();
const hang = Deno.env.get("KV_HANG") === "1";

integration("kv server of this module", {
  fixtures: { space: kv.fixture({ url: server.url }) },
}, async (_t, { space }) => {
  await space.put("key", "value");
  console.log(`READY ${server.pid} ${server.dir}`);
  if (hang) await new Promise(() => setInterval(() => {}, 1000));
});
