import assert from "node:assert/strict";
import { defineFixture, tmpDir } from "../mod.ts";
import { orderFixtures } from "../src/_scope.ts";
import type { Fixture } from "../mod.ts";

function declared(deps: string[], scope: "test" | "step" = "test"): Fixture {
  return {
    kind: "k",
    scope,
    deps,
    permissions: "none",
    start: () =>
      Promise.resolve({ [Symbol.asyncDispose]: () => Promise.resolve() }),
  };
}

Deno.test("orderFixtures() puts dependencies first and keeps declaration order", () => {
  const order = orderFixtures("t", {
    repo: declared(["db"]),
    dir: declared([]),
    db: declared([]),
  }).map((f) => f.name);
  assert.deepEqual(order, ["db", "repo", "dir"]);
});

Deno.test("orderFixtures() names an unknown dependency", () => {
  assert.throws(
    () => orderFixtures("t", { repo: declared(["db"]) }),
    new TypeError(
      'Cannot register integration test "t": fixture "repo" (k) depends on "db", which is not declared (declared: repo)',
    ),
  );
});

Deno.test("orderFixtures() names a cycle", () => {
  assert.throws(
    () => orderFixtures("t", { a: declared(["b"]), b: declared(["a"]) }),
    new TypeError(
      'Cannot register integration test "t": fixtures depend on each other in a cycle: a -> b -> a',
    ),
  );
});

Deno.test("orderFixtures() refuses a test-scoped fixture on a step-scoped one", () => {
  assert.throws(
    () => orderFixtures("t", { a: declared(["b"]), b: declared([], "step") }),
    new TypeError(
      'Cannot register integration test "t": fixture "a" is test-scoped but depends on step-scoped "b"; make "a" step-scoped too',
    ),
  );
});

Deno.test("orderFixtures() refuses a value that is not a declaration", () => {
  assert.throws(
    () => orderFixtures("t", { dir: tmpDir as unknown as Fixture }),
    new TypeError(
      'Cannot register integration test "t": fixture "dir" is not a fixture declaration (use a factory\'s .fixture(), e.g. tmpDir.fixture())',
    ),
  );
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
      'Cannot declare fixture "tmpDir": scope must be "test" or "step", got "suite"',
    ),
  );
});
