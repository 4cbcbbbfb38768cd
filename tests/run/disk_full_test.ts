// A full disk where the reaper keeps its files: nothing created is
// forgotten, and the failure is said.
import assert from "node:assert/strict";
import { bucketNames } from "../_shared/services.ts";
import { runInlineTest } from "../_shared/harness.ts";
import { waitForReapers } from "../../src/run/reaper.ts";

/** A full tmpfs for the test's TMPDIR (root only), or why there is none. */
async function fullTmpfs(): Promise<string | { why: string }> {
  if (Deno.uid() !== 0) return { why: "mounting a tmpfs needs root" };
  const dir = await Deno.makeTempDir({ prefix: "itkit-test-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k,mode=1777", "tmpfs", dir],
    stderr: "piped",
  }).output();
  if (!mount.success) {
    await Deno.remove(dir);
    return { why: new TextDecoder().decode(mount.stderr).trim() };
  }
  // Fill it: one file takes every block left.
  await new Deno.Command("dd", {
    args: ["if=/dev/zero", `of=${dir}/fill`, "bs=4k"],
    stderr: "null",
  }).output();
  return dir;
}

/**
 * Unmounts the tmpfs: nothing may hold a file on it any more (the runs'
 * reapers were waited for until gone, not only until their `exited` line:
 * one still holds its ready file there until it ends).
 */
async function unmount(dir: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("umount", {
    args: [dir],
    stderr: "piped",
  }).output();
  assert.ok(
    success,
    `umount ${dir}: ${new TextDecoder().decode(stderr).trim()}`,
  );
  await Deno.remove(dir, { recursive: true });
}

const full = await fullTmpfs();

/** Run inline by the tests below. */
const DISK_FULL =
  `// A run whose temp dir is full (TMPDIR on a full file system): the bucket a
// declaration has made ahead must not be forgotten, and whatever fails is
// said. Prints the bucket; the parent checks it is gone.
import { integration } from "@itkit/core";
import { s3Bucket } from "@itkit/core/s3";

integration("uses a bucket while the temp dir is full", {
  fixtures: { bucket: s3Bucket.fixture() },
}, (_t, { bucket }) => {
  console.log(\`BUCKET \${bucket.name}\`);
});
`;

Deno.test({
  name:
    `disk full: a reaper whose log cannot be written is not started, the run says why, and the bucket goes inline${
      typeof full === "string" ? "" : ` (ignored: ${full.why})`
    }`,
  ignore: typeof full !== "string",
}, async () => {
  const dir = full as string;
  try {
    const run = await runInlineTest({ "disk_full.ts": DISK_FULL }, {
      env: { TMPDIR: dir, ITKIT_REAPER_LOG: `${dir}/itkit-reaper.log` },
    });
    assert.equal(run.code, 0, run.output);
    assert.match(
      run.output,
      /itkit: no reaper for this process: its log \S+itkit-reaper\.log cannot be written \(No space left on device/,
    );
    const bucket = /^BUCKET (\S+)$/m.exec(run.output)?.[1];
    assert.ok(bucket, run.output);
    assert.ok(!(await bucketNames()).includes(bucket), `bucket ${bucket} left`);
  } finally {
    await Deno.remove(`${dir}/itkit-reaper.log`).catch(() => {});
  }
});

Deno.test({
  name:
    `disk full: a bucket made ahead whose ready note failed is still taken and removed, and the log says so${
      typeof full === "string" ? "" : ` (ignored: ${full.why})`
    }`,
  ignore: typeof full !== "string",
}, async () => {
  const dir = full as string;
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const run = await runInlineTest({ "disk_full.ts": DISK_FULL }, {
      env: { TMPDIR: dir, ITKIT_REAPER_LOG: log },
    });
    assert.equal(run.code, 0, run.output);
    const bucket = /^BUCKET (\S+)$/m.exec(run.output)?.[1];
    assert.ok(bucket, run.output);
    assert.deepEqual((await waitForReapers(log)).failed, []);
    const text = await Deno.readTextFile(log);
    assert.match(
      text,
      new RegExp(
        `could not note bucket ${bucket} in the ready file: .*No space left on device`,
      ),
      text,
    );
    assert.match(text, new RegExp(`removed bucket ${bucket} \\(handed off`));
    assert.ok(!(await bucketNames()).includes(bucket), `bucket ${bucket} left`);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test({
  name: "disk full: unmount the full temp dir",
  ignore: typeof full !== "string",
}, async () => {
  await unmount(full as string);
});
