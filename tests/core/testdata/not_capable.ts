// NotCapable where a user meets it outside a test's body: in a fixture's
// setup and cleanup, in a database's `migrate` (run in its setup), in a step.
// None of them may read ITKIT_NOT_GRANTED, which no declaration grants.
import { defineFixture, integration } from "../../../mod.ts";
import { postgresDatabase, probePostgres } from "../../../postgres.ts";

const db = await probePostgres();

const readsInSetup = defineFixture<undefined, AsyncDisposable>({
  name: "readsInSetup",
  setup: () => {
    Deno.env.get("ITKIT_NOT_GRANTED");
    return { [Symbol.asyncDispose]: () => Promise.resolve() };
  },
});

const readsInCleanup = defineFixture<undefined, AsyncDisposable>({
  name: "readsInCleanup",
  setup: () => ({
    [Symbol.asyncDispose]: () => {
      Deno.env.get("ITKIT_NOT_GRANTED");
      return Promise.resolve();
    },
  }),
});

integration(
  "setup",
  { fixtures: { config: readsInSetup.fixture() } },
  () => {},
);

integration("cleanup", {
  fixtures: { config: readsInCleanup.fixture() },
}, () => {});

integration("migrate", {
  requires: [db],
  fixtures: {
    db: postgresDatabase.fixture({
      isolation: "schema",
      migrate: async (sql) => {
        await sql`create table t (name text)`;
        Deno.env.get("ITKIT_NOT_GRANTED");
      },
    }),
  },
}, () => {});

integration("step", async (t) => {
  await t.step("reads", () => {
    Deno.env.get("ITKIT_NOT_GRANTED");
  });
});
