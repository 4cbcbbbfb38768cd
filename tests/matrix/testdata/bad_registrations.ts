// Registers integration tests with bad input at top level (the only place
// integration() may be called) and prints each error for the parent test.
import {
  group,
  integration,
  type IntegrationFn,
  type ProbeResult,
  tmpDir,
} from "../../../mod.ts";
import { fakeFixture } from "../../_shared/fake_fixture.ts";

const fn: IntegrationFn<Record<string, never>> = () => {};
// deno-lint-ignore no-explicit-any
type Any = any;
const loose = integration as Any;
const looseGroup = group as Any;

const rows: [string, () => void][] = [
  ["timeout negative", () => integration("t", { timeout: -1 }, fn)],
  ["timeout string", () => loose("t", { timeout: "5s" }, fn)],
  ["fixtures array", () => loose("t", { fixtures: [] }, fn)],
  ["requires not array", () => loose("t", { requires: {} }, fn)],
  ["requires not a result", () => loose("t", { requires: [{ up: true }] }, fn)],
  [
    "requires promise",
    () => loose("t", { requires: [Promise.resolve({} as ProbeResult)] }, fn),
  ],
  ["options not object", () => loose("t", 5, fn)],
  ["no function", () => loose("t", {})],
  ["empty name", () => integration("  ", fn)],
  [
    "unknown dependency",
    () => loose("t", { fixtures: { repo: fakeFixture(["db"]) } }, fn),
  ],
  [
    "cyclic dependency",
    () =>
      loose(
        "t",
        { fixtures: { a: fakeFixture(["b"]), b: fakeFixture(["a"]) } },
        fn,
      ),
  ],
  [
    "test on step",
    () =>
      loose("t", {
        fixtures: { a: fakeFixture(["b"]), b: fakeFixture([], "step") },
      }, fn),
  ],
  ["not a declaration", () => loose("t", { fixtures: { dir: tmpDir } }, fn)],
  [
    "unknown permission",
    () => loose("t", { permissions: { network: true } }, fn),
  ],
  [
    "module on test",
    () =>
      loose("t", {
        fixtures: { a: fakeFixture(["b"], "module"), b: fakeFixture([]) },
      }, fn),
  ],
  ["group body async", () => group("g", async () => {})],
  [
    "group requires promise",
    () => looseGroup("g", { requires: [Promise.resolve()] }, () => {}),
  ],
  [
    "fixture requires promise",
    () => tmpDir.fixture({ requires: [Promise.resolve() as Any] }),
  ],
];
for (const [label, register] of rows) {
  try {
    register();
    console.log(`ROW ${label}: no error`);
  } catch (error) {
    console.log(
      `ROW ${label}: ${(error as Error).name}: ${(error as Error).message}`,
    );
  }
}
