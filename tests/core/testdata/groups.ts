// Groups: names prefixed (nested), requires/permissions/timeout/fixtures
// passed down; the group's fixtures reach the body typed.
import assert from "node:assert/strict";
import {
  delay,
  group,
  integration,
  type ProbeResult,
  type TmpDir,
  tmpDir,
} from "../../../mod.ts";

const secret = Deno.env.get("ITKIT_SECRET_FILE")!;
const down: ProbeResult = {
  ok: false,
  name: "db",
  target: "127.0.0.1:1",
  reason: "connection refused 127.0.0.1:1",
  durationMs: 0,
};

group("files", {
  permissions: { read: [secret] },
  fixtures: { dir: tmpDir.fixture() },
}, (test) => {
  test("reads the group's file", async (_t, { dir }) => {
    assert.equal(await Deno.readTextFile(secret), "s3cret");
    await Deno.writeTextFile(dir.join("copy.txt"), "x");
    console.log(`DIR ${dir.path}`);
  });
  group("nested", { timeout: 2000 }, (test) => {
    // Fails by the timeout whether it hits the setup or the body, which
    // waits for the abort.
    test("hangs past the group's budget", async (t) => {
      await delay(10_000, t.signal);
    });
    test("has its own fixture too", {
      fixtures: { other: tmpDir.fixture() },
      // Its own budget: the group's covers setup too, and this setup takes
      // two temp dirs the reaper makes ahead, which on a cold cache waits
      // for the reaper to start (seconds). Only a bound for a hang.
      timeout: 60_000,
    }, (_t, fixtures) => {
      // Nested groups do not type the outer group's fixtures; they are there.
      const { dir, other } = fixtures as unknown as Record<string, TmpDir>;
      assert.notEqual(dir!.path, other!.path);
    });
  });
  integration("registered with integration() inside", async () => {
    assert.equal(await Deno.readTextFile(secret), "s3cret");
  });
});

group("database", { requires: [down] }, (test) => {
  test("stores a user", () => {
    throw new Error("must not run");
  });
});

integration("outside any group cannot read the file", async () => {
  await Deno.readTextFile(secret);
});
