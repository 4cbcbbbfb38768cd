// The Ceph RGW launcher: a real, signature-checking S3 server that leaves no
// process or file behind, however its owner ends.
import assert from "node:assert/strict";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { startRgw } from "../../services.ts";
import { probeS3, s3Client } from "../../s3.ts";
import { eventually } from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);
const installed = await new Deno.Command("sh", {
  args: ["-c", "command -v ceph-mon ceph-osd radosgw radosgw-admin ceph"],
  stdout: "null",
}).output().then((r) => r.success);
// In the RGW pass (ITKIT_S3=ceph) missing binaries fail these tests.
const ignore = !installed && Deno.env.get("ITKIT_S3") !== "ceph";

/** Processes whose command line mentions `dir` (the daemons name its ceph.conf). */
function processesIn(dir: string): Promise<number[]> {
  return processesMentioning(`${dir}/ceph.conf`);
}

/** Processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(text)) pids.push(Number(entry.name));
    } catch { /* gone */ }
  }
  return pids;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name:
    "startRgw() serves signed requests for its user only, and dispose stops every daemon and removes its dir",
  ignore,
  async fn(): Promise<void> {
    let dir: string;
    let pids: number[];
    {
      await using rgw = await startRgw();
      dir = rgw.dir;
      assert.equal(rgw.origin, "rgw");
      assert.match(rgw.env.S3_ENDPOINT!, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(rgw.env.S3_ACCESS_KEY!, /^[A-Z0-9]{20}$/);
      assert.equal(rgw.env.S3_SECRET_KEY!.length, 40);
      const client = await s3Client(rgw.config);
      try {
        const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
        assert.deepEqual(Buckets, []);
      } finally {
        client.destroy();
      }
      const wrong = await probeS3({ ...rgw.config, secretAccessKey: "x" });
      assert.equal(
        wrong.reason,
        `bad credentials (SignatureDoesNotMatch: the secret key does not match the access key "${rgw.config.accessKeyId}")`,
      );
      pids = await processesIn(dir);
      assert.equal(pids.length, 3, "mon, osd and rgw");
    }
    assert.deepEqual(await processesIn(dir), [], "no daemon left");
    assert.ok(!(await exists(dir)), `${dir} still exists`);
  },
});

Deno.test({
  name: "startRgw() daemons die with a process killed by SIGKILL",
  ignore,
  async fn(): Promise<void> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { startRgw } from "${new URL("services.ts", ROOT).href}";
         const rgw = await startRgw();
         console.log("READY", rgw.dir);
         setInterval(() => {}, 1000);`,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    while (!/READY .*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const dir = /READY (\S+)/.exec(out)?.[1];
    assert.ok(dir, `no READY line: ${out}`);
    const pids = await processesIn(dir);
    assert.equal(pids.length, 3, "mon, osd and rgw");
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    // The watchdog (its command line names the dir) kills the daemons,
    // waits until they are gone and removes the dir, then exits: once no
    // process mentions the dir, it is done.
    await eventually(
      async () => (await processesMentioning(dir)).length === 0,
      `the watchdog and the daemons ${pids.join(", ")} are gone`,
      {
        ms: 60_000,
        why:
          "SIGKILL and removing a memstore cluster's dir take well under a second; only a bound for a watchdog that never ends",
      },
    );
    assert.ok(!(await exists(dir)), `${dir} still exists`);
  },
});

Deno.test("startRgw() without the Ceph binaries names the Debian packages", async () => {
  const path = Deno.env.get("PATH");
  Deno.env.set("PATH", "/nonexistent");
  try {
    await assert.rejects(startRgw(), (error: Error) => {
      assert.equal(
        error.message,
        "Cannot start Ceph RGW: ceph-mon, ceph-osd, radosgw, radosgw-admin, monmaptool, ceph not found on PATH (install Debian's packages: apt-get install ceph-mon ceph-osd radosgw ceph-common)",
      );
      return true;
    });
  } finally {
    if (path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", path);
  }
});

Deno.test("startRgw() rejects a timeout that is not a positive number", async () => {
  await assert.rejects(startRgw({ timeout: -1 }), {
    name: "RangeError",
    message:
      "Cannot start Ceph RGW: timeout must be a positive number of milliseconds, got -1",
  });
});

Deno.test({
  name:
    "startRgw() out of time names the step it was in and leaves no process or dir",
  ignore,
  async fn(): Promise<void> {
    const before = new Set<string>();
    for await (const e of Deno.readDir(Deno.env.get("TMPDIR") ?? "/tmp")) {
      if (e.name.startsWith("itkit-rgw-")) before.add(e.name);
    }
    await assert.rejects(startRgw({ timeout: 300 }), (error: Error) => {
      assert.match(
        error.message,
        /^Cannot start Ceph RGW: (.+ did not finish in time|no answer to a signed request at http:\/\/127\.0\.0\.1:\d+ in time)/,
      );
      return true;
    });
    const left: string[] = [];
    for await (const e of Deno.readDir(Deno.env.get("TMPDIR") ?? "/tmp")) {
      if (e.name.startsWith("itkit-rgw-") && !before.has(e.name)) {
        left.push(e.name);
      }
    }
    assert.deepEqual(left, []);
  },
});
