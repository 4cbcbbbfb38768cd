import assert from "node:assert/strict";
import { defineFixture, tmpDir } from "../../mod.ts";
import { orderFixtures } from "../../src/core/_scope.ts";
import { fakeFixture } from "../_shared/fake_fixture.ts";

Deno.test("orderFixtures() puts dependencies first and keeps declaration order", () => {
  const order = orderFixtures("t", {
    repo: fakeFixture(["db"]),
    dir: fakeFixture([]),
    db: fakeFixture([]),
  }).map((f) => f.name);
  assert.deepEqual(order, ["db", "repo", "dir"]);
});

Deno.test("a standalone fixture with a dependency requires it", async () => {
  const child = defineFixture<undefined, AsyncDisposable, { parent: unknown }>({
    name: "child",
    deps: ["parent"],
    setup: () => ({ [Symbol.asyncDispose]: () => Promise.resolve() }),
  });
  await assert.rejects(
    () => child(),
    new TypeError(
      'Cannot start fixture "child": it depends on "parent"; pass it as the second argument',
    ),
  );
  await using _ok = await child(undefined, { parent: 1 });
});

Deno.test("defineFixture() and .fixture() reject bad input", () => {
  assert.throws(
    () =>
      defineFixture({
        name: "",
        setup: () => ({ [Symbol.asyncDispose]: () => Promise.resolve() }),
      }),
    new TypeError("Cannot define fixture: `name` must be a non-empty string"),
  );
  assert.throws(
    () => tmpDir.fixture({ scope: "suite" as "test" }),
    new TypeError(
      'Cannot declare fixture "tmpDir": scope must be "test", "step" or "module", got "suite"',
    ),
  );
});
