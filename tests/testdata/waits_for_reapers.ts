// A test that waits for the reapers of its run's log from inside the run (as
// a `cli.ts run` inside a test does, sharing the log): its own process's
// reaper, which it has started, ends only after it, and is not waited for.
import { integration, tmpDir } from "../../mod.ts";
import { waitForReapers } from "../../src/run/reaper.ts";

integration("waits for the reapers of its own run", {
  permissions: { read: true, env: true },
  fixtures: { dir: tmpDir.fixture() },
}, async () => {
  const report = await waitForReapers(
    Deno.env.get("ITKIT_REAPER_LOG")!,
    10_000, // more than enough for reapers that can end; ours cannot
  );
  console.log(`REPORT ${JSON.stringify(report)}`);
});
