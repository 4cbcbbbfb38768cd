import assert from "node:assert/strict";
import { env } from "../mod.ts";

Deno.test("env() sets and unsets variables and restores them on dispose", async () => {
  Deno.env.set("ITKIT_UNIT_KEEP", "before");
  Deno.env.delete("ITKIT_UNIT_NEW");
  {
    await using vars = await env({
      vars: { ITKIT_UNIT_NEW: "new", ITKIT_UNIT_KEEP: undefined },
    });
    assert.equal(Deno.env.get("ITKIT_UNIT_NEW"), "new");
    assert.equal(Deno.env.get("ITKIT_UNIT_KEEP"), undefined);
    vars.set("ITKIT_UNIT_NEW", "changed");
    assert.equal(vars.get("ITKIT_UNIT_NEW"), "changed");
  }
  assert.equal(Deno.env.get("ITKIT_UNIT_KEEP"), "before");
  assert.equal(Deno.env.get("ITKIT_UNIT_NEW"), undefined);
  Deno.env.delete("ITKIT_UNIT_KEEP");
});

Deno.test("env() refuses to set a variable it does not manage", async () => {
  await using vars = await env({ vars: { ITKIT_UNIT_A: "1" } });
  assert.throws(
    () => vars.set("ITKIT_UNIT_B", "2"),
    new TypeError(
      "Cannot set ITKIT_UNIT_B: the env fixture manages only ITKIT_UNIT_A (add it to vars or allow)",
    ),
  );
});

Deno.test("env.fixture() declares env access to exactly its names", () => {
  const fixture = env.fixture({ vars: { A: "1", B: undefined }, allow: ["C"] });
  assert.deepEqual(fixture.permissions, { env: ["A", "B", "C"] });
});
