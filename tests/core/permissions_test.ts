import assert from "node:assert/strict";
import { mergePermissions } from "../../src/core/permissions.ts";

Deno.test("mergePermissions() joins lists, and true and inherit win", () => {
  assert.deepEqual(
    mergePermissions([
      { net: ["127.0.0.1:5432"], env: ["A"] },
      { net: ["127.0.0.1:9000", "127.0.0.1:5432"], env: true },
      { read: "inherit", write: false },
      undefined,
      "none",
    ]),
    {
      env: true,
      net: ["127.0.0.1:5432", "127.0.0.1:9000"],
      read: "inherit",
    },
  );
});

Deno.test("mergePermissions() of nothing is none, and inherit anywhere is inherit", () => {
  assert.equal(mergePermissions([]), "none");
  assert.equal(
    mergePermissions(["none", { net: [] }, { read: false }]),
    "none",
  );
  assert.equal(mergePermissions([{ net: ["x"] }, "inherit"]), "inherit");
});
