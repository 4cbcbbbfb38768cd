// Tests with Redis spaces of both kinds: each writes its keys and sees only
// its own. Prints `SPACE <isolation> <name> <db>`. With REDIS_HANG=1 the
// first test of each kind prints READY (after writing) and hangs until the
// process is killed.
import assert from "node:assert/strict";
import { integration } from "../../mod.ts";
import { redis } from "../../redis.ts";

const up = await redis.probe();
const hang = Deno.env.get("REDIS_HANG") === "1";
const file = new URL(import.meta.url).pathname.split("/").at(-1);

for (const isolation of ["prefix", "database"] as const) {
  for (const which of ["a", "b", "c"]) {
    integration(`redis ${isolation} ${which} (${file})`, {
      requires: [up],
      fixtures: { space: redis.fixture({ isolation }) },
    }, async (_t, { space }) => {
      console.log(`SPACE ${isolation} ${space.name} ${space.db}`);
      await space.client.set(space.key("k"), which);
      await space.client.hSet(space.key("h"), { field: which });
      const own = await space.client.keys(`${space.prefix}*`);
      assert.deepEqual(own.sort(), [space.key("h"), space.key("k")]);
      if (isolation === "database") {
        // The whole database is the space's.
        assert.equal(await space.client.dbSize(), 2);
        assert.match(space.url, new RegExp(`/${space.db}$`));
      }
      assert.equal(await space.client.get(space.key("k")), which);
      if (hang && which === "a") {
        console.log("READY");
        await new Promise(() => setInterval(() => {}, 1000));
      }
    });
  }
}
