// A test that runs a command waiting for the reapers of the run's log (as a
// `cli.ts run` inside a test does, sharing the log): the reaper of this test
// process, which it has started, ends only after it, and is not waited for.
import { integration, tmpDir } from "../../../mod.ts";

const WAIT = `
import { waitForReapers } from ${
  JSON.stringify(new URL("../../../src/run/reaper.ts", import.meta.url).href)
};
// More than enough for reapers that can end; the test process's cannot.
const report = await waitForReapers(Deno.env.get("ITKIT_REAPER_LOG"), 10_000);
console.log("REPORT " + JSON.stringify(report));`;

integration("a command it runs waits for the reapers of its run", {
  permissions: { run: true, read: true, env: true },
  fixtures: { dir: tmpDir.fixture() },
}, async () => {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", WAIT],
    stderr: "inherit",
  }).output();
  console.log(new TextDecoder().decode(stdout).trim());
});
