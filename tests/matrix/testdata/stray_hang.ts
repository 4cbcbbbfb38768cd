// An integration test whose body hangs after a stray rejection, without a
// toolkit timeout: it is abandoned after the grace period, its fixture is
// disposed, and the next test runs.
import { integration, tmpDir } from "../../../mod.ts";

integration("hangs after a stray rejection", {
  fixtures: { dir: tmpDir.fixture() },
}, async (_t, { dir }) => {
  console.log(`DIR ${dir.path}`);
  void Promise.reject(new Error("stray before a hang"));
  await new Promise(() => {});
});

// Until the reaper has made the next test's temp dir ahead: then its setup
// takes it without yielding to the event loop, and its body (with the stray
// rejection, which starts the grace period) always runs before its timeout,
// however slow the machine or cold the cache. The budget only bounds a
// reaper that never says it made them.
Deno.test("the reaper made both temp dirs ahead", async () => {
  const log = Deno.env.get("ITKIT_REAPER_LOG")!;
  const until = Date.now() + 60_000;
  let text = "";
  while ([...text.matchAll(/ created dir \S+ \(ahead/g)].length < 2) {
    if (Date.now() > until || / could not create dir /.test(text)) {
      throw new Error(`the reaper did not make both dirs ahead:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    text = await Deno.readTextFile(log);
  }
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
