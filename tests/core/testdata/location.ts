// Where Deno reports integration tests: one failing at the top level (line
// 8), one passing inside a group (line 13). tests/core/location_test.ts reads
// these line numbers: keep them in place.
import { group, integration } from "../../../mod.ts";

// A comment and a type, so that the source-mapped line differs from the
type Unused = { line: number }; // transpiled one.
integration("fails here", (): void => {
  throw new Error("boom");
});

group("grouped", (test) => {
  test("passes here", () => {});
});

export type { Unused };
