// The reaper is killed (SIGKILL: out of memory, a stray `pkill deno`) while
// the first test runs: that test must fail with the reaper's error and log,
// and every fixture must still remove what it made. Prints what each test
// held; the parent checks it is gone.
import { integration, tmpDir } from "../../../mod.ts";
import { s3Bucket } from "../../../s3.ts";

const log = Deno.env.get("ITKIT_REAPER_LOG")!;

/** Whether `pid` is still a process (a zombie counts until it is reaped). */
async function exists(pid: string): Promise<boolean> {
  return (await new Deno.Command("kill", { args: ["-0", pid], stderr: "null" })
    .output()).success;
}

integration("the reaper is killed during this test", {
  permissions: { read: [log], run: ["kill"] },
  fixtures: { dir: tmpDir.fixture(), bucket: s3Bucket.fixture() },
  // Only a bound for a reaper that never says whether it made what it was
  // asked to (each creation has its own 10 s once its module is loaded,
  // which a cold cache makes take seconds): the test waits for its lines.
  timeout: 120_000,
}, async (_t, { dir, bucket }) => {
  console.log(`HELD ${dir.path} ${bucket.name}`);
  // Once it has made ahead what both tests take (two dirs, two buckets):
  // then the second test finds them made and removes them itself.
  let text = Deno.readTextFileSync(log);
  while ([...text.matchAll(/ created \S+ \S+ \(ahead/g)].length < 4) {
    if (/ could not create \S+ \S+ ahead/.test(text)) {
      throw new Error(`the reaper could not make something ahead:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    text = Deno.readTextFileSync(log);
  }
  const pid = / reaper (\d+) spawned/.exec(text)![1]!;
  await new Deno.Command("kill", { args: ["-KILL", pid] }).output();
  // Gone once this process has reaped it (its status is then known here).
  while (await exists(pid)) await new Promise((r) => setTimeout(r, 20));
});

integration("a later test cleans up without the reaper", {
  fixtures: { dir: tmpDir.fixture(), bucket: s3Bucket.fixture() },
}, (_t, { dir, bucket }) => {
  console.log(`HELD ${dir.path} ${bucket.name}`);
});
