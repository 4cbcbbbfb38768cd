// An integration test whose body hangs after a stray rejection, without a
// toolkit timeout: it is abandoned after the grace period, its fixture is
// disposed, and the next test runs.
import { integration, tmpDir } from "../../mod.ts";

integration("hangs after a stray rejection", {
  fixtures: { dir: tmpDir.fixture() },
}, async (_t, { dir }) => {
  console.log(`DIR ${dir.path}`);
  void Promise.reject(new Error("stray before a hang"));
  await new Promise(() => {});
});

// The toolkit's timeout ends it before the grace period: the grace timer must
// not outlive the test (the ops sanitizer of the next test would see it).
integration("hangs after a stray rejection, with a timeout", {
  fixtures: { dir: tmpDir.fixture() },
  timeout: 1000,
}, async (_t, { dir }) => {
  console.log(`DIR ${dir.path}`);
  void Promise.reject(new Error("stray before a timed-out hang"));
  await new Promise(() => {});
});

Deno.test("runs after the hang", () => {
  console.log("LATER RAN");
});
