// The toolkit's helper processes (the reaper, the clone helper) as their
// parent sees them: a line that is not a request of their protocol is said
// FAILED in the run's log (which `cli.ts run` fails on), without its content,
// and the helper goes on; a log that cannot be written costs one line on
// the helper's stderr, not its work.
import assert from "node:assert/strict";
import { ProtocolError, writeMessage } from "../../src/util/protocol.ts";
import {
  readReaperReply,
  readReaperRequest,
} from "../../src/run/_reaper_protocol.ts";
import {
  readCloneReply,
  readCloneRequest,
} from "../../src/postgres/_clone_protocol.ts";
import {
  readServicesReport,
  writeServicesReport,
} from "../../src/services/services_report.ts";
import { helperStderr } from "../../src/util/helper_process.ts";

const REAPER = new URL("../../src/run/_reaper_main.ts", import.meta.url);
const CLONE_HELPER = new URL(
  "../../src/postgres/_clone_pool_main.ts",
  import.meta.url,
);
const TMP_DIR_REMOVER = new URL(
  "../../src/run/_dir_reap.ts",
  import.meta.url,
).href;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Spawns one of the helper programs with this process as its parent. */
function spawnHelper(main: URL, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", "--config", CONFIG, main.href, ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Waits until `path` is gone, for at most `ms`; whether it is. */
async function gone(path: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!await Deno.stat(path).then(() => true, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** A request line that registers `dir` as `id`, then one that hands it off. */
function addAndRemove(id: number, dir: string): string {
  const resource = { remover: TMP_DIR_REMOVER, what: `dir ${dir}`, path: dir };
  return `${JSON.stringify({ op: "add", id, resource })}\n${
    JSON.stringify({ op: "remove", id })
  }\n`;
}

Deno.test("reaper: a line that is not one of its requests is said FAILED in its log, without its content, and the reaper goes on", async () => {
  const work = await Deno.makeTempDir({ prefix: "itkit-test-protocol-" });
  const log = `${work}/reaper.log`;
  const dir = await Deno.makeTempDir({ dir: work });
  const reaper = spawnHelper(REAPER, [log, String(Deno.pid)]);
  const stdin = reaper.stdin.getWriter();
  try {
    await stdin.write(
      new TextEncoder().encode(
        [
          JSON.stringify({ op: "bogus", config: { password: "pw-s3cret" } }),
          "not json pw-s3cret",
          JSON.stringify({ op: "add", id: 1 }), // no resource
          "",
        ].join("\n") + addAndRemove(2, dir),
      ),
    );
    // A removal takes milliseconds: 20 s means it stopped at the bad lines.
    assert.ok(await gone(dir, 20_000), "the handed-off dir was not removed");
  } finally {
    await stdin.close();
    await reaper.stderr.cancel();
    await reaper.status;
  }
  const text = await Deno.readTextFile(log);
  await Deno.remove(work, { recursive: true });
  const failed = text.split("\n").filter((line) => / FAILED\b/.test(line));
  assert.equal(failed.length, 3, text);
  assert.match(failed[0]!, /unknown op "bogus"/, text);
  assert.match(failed[1]!, /is not JSON/, text);
  assert.match(failed[2]!, /"add" has no resource/, text);
  assert.doesNotMatch(text, /pw-s3cret/);
  assert.match(text, / removed dir /, text);
  assert.match(text, / exited: removed 1, failed 0\n/, text);
});

Deno.test("reaper: a log it cannot write (a full disk) costs one line on its stderr and the count at exit, not its removals", async () => {
  const work = await Deno.makeTempDir({ prefix: "itkit-test-protocol-" });
  const dir = await Deno.makeTempDir({ dir: work });
  // Every write to /dev/full fails (ENOSPC). Each "x" line makes a FAILED
  // line the log cannot take: ~400 KiB in all, far more than a pipe holds
  // (64 KiB), on a stderr that its parent reads only once it has ended.
  const reaper = spawnHelper(REAPER, ["/dev/full", String(Deno.pid)]);
  const stdin = reaper.stdin.getWriter();
  const resource = { remover: TMP_DIR_REMOVER, what: `dir ${dir}`, path: dir };
  await stdin.write(
    new TextEncoder().encode(
      "x\n".repeat(5_000) +
        `${JSON.stringify({ op: "add", id: 1, resource })}\n`,
    ),
  );
  // Its parent ends: it removes what is registered, and exits.
  await stdin.close();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    reaper.status,
    // It ends in well under a second: 20 s means it is blocked on its stderr.
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), 20_000);
    }),
  ]);
  clearTimeout(timer);
  if (status === undefined) reaper.kill("SIGKILL");
  const stderr = await new Response(reaper.stderr).text();
  await reaper.status;
  const left = await Deno.stat(dir).then(() => true, () => false);
  await Deno.remove(work, { recursive: true });
  assert.ok(status, "it did not end while its stderr was not read");
  assert.equal(status.code, 1, "its exit code says its log is incomplete");
  assert.equal(left, false, "the registered dir was not removed");
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, stderr.slice(0, 2_000));
  assert.match(lines[0]!, /^itkit: \S+ reaper \d+ started \(parent \d+\)$/);
  assert.match(
    lines[1]!,
    /^itkit: reaper \d+: its log is incomplete: .* \(\d+ more line\(s\) it could not write are not said here either\)$/,
  );
  const more = Number(/\((\d+) more/.exec(lines[1]!)![1]);
  // Its 5000 FAILED lines, the removal, the end of its worker, its exit.
  assert.ok(more >= 5_000, stderr);
});

Deno.test("clone helper: a line that is not one of its requests is said FAILED in the log, without its content, and the helper goes on to exit", async () => {
  const work = await Deno.makeTempDir({ prefix: "itkit-test-protocol-" });
  const log = `${work}/reaper.log`;
  const helper = spawnHelper(CLONE_HELPER, [
    "",
    log,
    "mxcg0bu1a72c",
    String(Deno.pid),
  ]);
  const stdin = helper.stdin.getWriter();
  try {
    await stdin.write(
      new TextEncoder().encode(
        [
          JSON.stringify({ op: "bogus", config: { password: "pw-s3cret" } }),
          JSON.stringify({ op: "take", id: 1, template: "t", fill: false }),
          "",
        ].join("\n"),
      ),
    );
  } finally {
    await stdin.close();
    await helper.stderr.cancel();
    await helper.status;
  }
  const text = await Deno.readTextFile(log);
  await Deno.remove(work, { recursive: true });
  const failed = text.split("\n").filter((line) => / FAILED\b/.test(line));
  assert.equal(failed.length, 2, text);
  assert.match(failed[0]!, /unknown op "bogus"/, text);
  assert.match(failed[1]!, /"take" has no config/, text);
  assert.doesNotMatch(text, /pw-s3cret/);
  assert.match(text, / helper \d+ exited\n/, text);
});

Deno.test("protocols: each side reads what the other writes, and an error names the protocol and the field, never a value", () => {
  const config = {
    host: "localhost",
    port: 5432,
    user: "u",
    password: "pw-s3cret",
    database: "d",
  };
  const resource = { remover: "file:///r.ts", what: "dir /tmp/x", path: "/x" };
  for (
    const request of [
      { op: "add", id: 1, resource, create: true },
      { op: "add", id: 2, resource },
      { op: "take", id: 1 },
      { op: "helper", pid: 42 },
      { op: "no-ready" },
      { op: "hello", runId: "mxcg0bu1a72c" },
    ] as const
  ) {
    assert.deepEqual(readReaperRequest(writeMessage(request)), request);
  }
  assert.deepEqual(readReaperReply(`{"op":"take","id":3,"ok":false}`), {
    op: "take",
    id: 3,
    ok: false,
  });
  for (
    const request of [
      { op: "track", config, schema: "s" },
      { op: "track", config, database: "db" },
      { op: "warm", config, template: "t", size: 3 },
      { op: "warm", config, template: "t", size: 3, total: 5 },
      { op: "take", id: 1, config, template: "t", fill: true },
      { op: "copy", id: 4, config, template: "t" },
      { op: "template-built", config, key: "k", ok: false },
    ] as const
  ) {
    assert.deepEqual(readCloneRequest(writeMessage(request)), request);
  }
  for (
    const reply of [
      { op: "hello", pid: 7, drops: null },
      { op: "take", id: 1, database: "c", more: ["d"] },
      { op: "take", id: 1, error: "no", code: "53300" },
      { op: "copy", id: 4, database: "c", reused: true },
      { op: "copy", id: 4, error: "no" },
      { op: "template", id: 2, database: "t" },
      { op: "template", id: 2, build: "t" },
      { op: "template", id: 2, retry: true },
    ] as const
  ) {
    assert.deepEqual(readCloneReply(writeMessage(reply)), reply);
  }
  const bad = (read: () => unknown, message: RegExp): void => {
    assert.throws(read, (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /pw-s3cret/);
      return true;
    });
  };
  bad(
    () => readReaperRequest(`{"op":"take","id":"pw-s3cret"}`),
    /^a reaper request "take" has no id \(expected an integer\)$/,
  );
  bad(
    () =>
      readCloneRequest(
        JSON.stringify({
          op: "lease",
          id: 1,
          config: { ...config, port: "x" },
        }),
      ),
    /^a clone helper request "lease" has no config\.port/,
  );
  bad(
    () => readCloneReply(`{"op":"bogus","error":"pw-s3cret"}`),
    /^a clone helper reply has the unknown op "bogus"$/,
  );
  bad(() => readReaperReply(`{"id":1}`), /^a reaper reply has no op$/);
  const report = {
    env: { DATABASE_URL: "postgres://u:pw-s3cret@localhost/d" },
    services: [{ kind: "postgres", origin: "native", address: "x" }],
  } as const;
  assert.deepEqual(
    readServicesReport(writeServicesReport(report)),
    report,
  );
  assert.throws(
    () => readServicesReport(`{"env":{"A":1},"services":[]}`),
    /^Error: a services report has env\.A not a string$/,
  );
  assert.throws(
    () =>
      readServicesReport(
        `{"env":{},"services":[{"kind":"k","origin":"x","address":"a"}]}`,
      ),
    /services\[0\]\.origin/,
  );
});

Deno.test("helperStderr: what a helper said is read up to 8 KiB, the rest dropped unread", async () => {
  let pulled = 0;
  const chunk = new TextEncoder().encode("x".repeat(1_023) + "\n");
  const stream = new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (++pulled > 1_000) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const said = await helperStderr(stream);
  assert.equal(said.length, 8 * 1_024 - 1); // trimmed
  assert.ok(pulled < 20, `read ${pulled} KiB`);
  assert.equal(
    await helperStderr(
      new ReadableStream({
        start(controller): void {
          controller.enqueue(new TextEncoder().encode(" itkit: gone\n"));
          controller.close();
        },
      }),
    ),
    "itkit: gone",
  );
});
