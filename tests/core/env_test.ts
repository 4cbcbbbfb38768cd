import assert from "node:assert/strict";
import { env } from "../../mod.ts";
import { expectRun, runDenoTest } from "../_shared/harness.ts";

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

Deno.test("env.fixture() with vars from other fixtures grants the names it may return, or the process's env", () => {
  const vars = ({ db }: { db: { env(): Record<string, string> } }) => db.env();
  assert.deepEqual(env.fixture({ vars }).permissions, { env: "inherit" });
  assert.deepEqual(
    env.fixture({ vars, allow: ["DATABASE_URL", "PGHOST"] }).permissions,
    { env: ["DATABASE_URL", "PGHOST"] },
  );
});

Deno.test("env() with vars from other fixtures refuses a bad result before changing anything", async () => {
  Deno.env.delete("ITKIT_UNIT_A");
  await assert.rejects(
    () =>
      env({
        vars: () => ({ ITKIT_UNIT_A: "1", ITKIT_UNIT_B: "2" }),
        allow: ["ITKIT_UNIT_A"],
      }),
    new TypeError(
      'Cannot set up env fixture "env": vars returned ITKIT_UNIT_B, which allow does not list (allow: ITKIT_UNIT_A)',
    ),
  );
  assert.equal(Deno.env.get("ITKIT_UNIT_A"), undefined);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => env({ vars: (() => null) as any }),
    new TypeError(
      'Cannot set up env fixture "env": vars returned null (expected an object of names to strings or undefined)',
    ),
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => env({ vars: (() => ({ ITKIT_UNIT_A: 1 })) as any }),
    new TypeError(
      'Cannot set up env fixture "env": ITKIT_UNIT_A must be a string or undefined, got number',
    ),
  );
});

Deno.test("env.fixture({ vars: ({ db }) => db.env() }) points the app at the test's database: set after the database, restored before it", async () => {
  const run = await runDenoTest(["env_from_fixtures.ts"]);
  expectRun(run, run.code === 0 && run.passed === 3, "all 3 tests should pass");
  const lines = run.output.split("\n").filter((line) =>
    /^(WITNESS|APP|RESTORED)/.test(line)
  );
  assert.deepEqual(lines, [
    "WITNESS setup sees the original DATABASE_URL",
    "APP stored ada in the test's schema",
    "WITNESS cleanup sees the original DATABASE_URL",
    "RESTORED",
  ]);
});
