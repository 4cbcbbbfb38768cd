// The body of redis_spaces*.ts: three tests per isolation, each writing its
// keys and seeing only its own. Prints `SPACE <isolation> <name> <db>`.
import assert from "node:assert/strict";
import { integration } from "../../../mod.ts";
import { redis } from "../../../redis.ts";

/** Registers the tests, named after `file`. */
export async function registerSpaces(file: string): Promise<void> {
  const up = await redis.probe();
  for (const isolation of ["prefix", "database"] as const) {
    for (const which of ["a", "b", "c"]) {
      integration(`redis ${isolation} ${which} (${file})`, {
        requires: [up],
        fixtures: { space: redis.fixture({ isolation }) },
      }, async (_t, { space }) => {
        console.log(`SPACE ${isolation} ${space.name} ${space.db}`);
        await space.client.set(space.key("k"), `${file} ${which}`);
        await space.client.hSet(space.key("h"), { field: which });
        // Another test's keys are never under this space's prefix (or in
        // its database).
        const own = await space.client.keys(`${space.prefix}*`);
        assert.deepEqual(own.sort(), [space.key("h"), space.key("k")]);
        if (isolation === "database") {
          assert.equal(await space.client.dbSize(), 2);
          assert.match(space.url, new RegExp(`/${space.db}$`));
        }
        // Give a test of the other file a turn between write and read.
        await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(
          await space.client.get(space.key("k")),
          `${file} ${which}`,
        );
      });
    }
  }
}
