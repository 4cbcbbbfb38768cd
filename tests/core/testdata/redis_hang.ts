// One test with a Redis space of each kind: writes a key in each, prints
// `READY <prefix space> <database space> <db>`, then hangs until killed.
import { integration } from "../../../mod.ts";
import { redis } from "../../../redis.ts";

const up = await redis.probe();

integration("redis spaces held when killed", {
  requires: [up],
  fixtures: {
    keys: redis.fixture(),
    db: redis.fixture({ isolation: "database" }),
  },
}, async (_t, { keys, db }) => {
  await keys.client.set(keys.key("k"), "1");
  await db.client.set(db.key("k"), "1");
  console.log(`READY ${keys.name} ${db.name} ${db.db}`);
  await new Promise(() => setInterval(() => {}, 1000));
});
