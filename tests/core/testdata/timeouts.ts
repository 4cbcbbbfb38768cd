// Tests that hang, for the default budget (run with ITKIT_TIMEOUT set low):
// a timer that never fires in the body, a fixture whose setup never ends, a
// step that never ends, a cleanup that never ends, and one with a budget of
// its own. Each fixture marks its setup and cleanup in ITKIT_MARKER.
import { defineFixture, integration } from "../../../mod.ts";

const marker = Deno.env.get("ITKIT_MARKER")!;
const mark = (line: string) =>
  Deno.writeTextFileSync(marker, line + "\n", { append: true });

/** A fixture that hangs in `hang` ("setup" or "cleanup"), else marks both. */
const stuck = defineFixture<{ hang?: "setup" | "cleanup" }, AsyncDisposable>({
  name: "stuck",
  permissions: { write: [marker] },
  setup: ({ hang }, { name }) => {
    mark(`setup ${name}`);
    if (hang === "setup") return new Promise<never>(() => {});
    return {
      [Symbol.asyncDispose]: () => {
        mark(`cleanup ${name}`);
        return hang === "cleanup" ? new Promise<never>(() => {}) : undefined;
      },
    } as AsyncDisposable;
  },
});

/** A timer that never fires (within any test's budget). */
const never = () => new Promise((resolve) => setTimeout(resolve, 2 ** 31 - 1));

integration("a timer that never fires", {
  fixtures: { dir: stuck.fixture() },
}, async () => {
  await never();
});

integration("a setup that never ends", {
  fixtures: { first: stuck.fixture(), db: stuck.fixture({ hang: "setup" }) },
}, () => {});

integration("a step that never ends", {
  fixtures: { dir: stuck.fixture() },
}, async (t) => {
  await t.step("waits forever", async () => {
    await never();
  });
});

integration("a cleanup that never ends", {
  fixtures: { bucket: stuck.fixture({ hang: "cleanup" }) },
}, () => {});

integration("a budget of its own", { timeout: 200 }, async () => {
  await never();
});
