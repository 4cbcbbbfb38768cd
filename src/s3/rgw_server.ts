/**
 * A throwaway Ceph RADOS Gateway (RGW): a real, signature-checking S3 server
 * with versioning and multipart-upload listing. One monitor, one OSD on the
 * in-memory store and `radosgw` on loopback, all in one temp dir, from
 * Debian's `ceph-mon`, `ceph-osd`, `radosgw` and `ceph-common` packages.
 *
 * @module
 */

import type { ServerHandle } from "../run/server_handle.ts";
import type { S3Config } from "./config.ts";
import { s3Client } from "./client.ts";
import { loadS3Sdk } from "./_sdk.ts";
import { readEnv } from "../util/env.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { raceDeadline } from "../util/deadline.ts";

/** The Debian packages that hold the binaries {@linkcode startRgw} runs. */
const RGW_PACKAGES: readonly string[] = [
  "ceph-mon",
  "ceph-osd",
  "radosgw",
  "ceph-common",
];

const BINARIES = [
  "ceph-mon",
  "ceph-osd",
  "radosgw",
  "radosgw-admin",
  "monmaptool",
  "ceph",
] as const;
type Binary = typeof BINARIES[number];

/** Options of {@linkcode startRgw}. */
export interface RgwServerOptions {
  /**
   * The S3 user's access key id.
   *
   * @default {a random 20-character key}
   */
  accessKeyId?: string;
  /**
   * The S3 user's secret key.
   *
   * @default {a random 40-character key}
   */
  secretAccessKey?: string;
  /**
   * How long the cluster may take to answer its first signed request, in
   * milliseconds.
   *
   * @default {60_000}
   */
  timeout?: number;
}

/**
 * A running single-node Ceph cluster with its RADOS Gateway: `config` and
 * `env` (`S3_ENDPOINT`, `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`) reach
 * the gateway as its one S3 user.
 */
export interface RgwServer extends ServerHandle<S3Config, "rgw"> {
  /** The cluster's temp dir: configuration, logs, sockets, monitor store. */
  readonly dir: string;
}

/** Each binary's path on `PATH`, and the names not found there. */
async function locateBinaries(): Promise<
  { found: Partial<Record<Binary, string>>; missing: string[] }
> {
  const dirs = (readEnv("PATH") ?? "").split(":").filter((d) => d !== "");
  const found: Partial<Record<Binary, string>> = {};
  const missing: string[] = [];
  for (const name of BINARIES) {
    for (const dir of dirs) {
      if (await isExecutable(`${dir}/${name}`)) {
        found[name] = `${dir}/${name}`;
        break;
      }
    }
    if (!found[name]) missing.push(name);
  }
  return { found, missing };
}

/**
 * Starts a single-node Ceph cluster and its RADOS Gateway on 127.0.0.1 and
 * free ports, in a temp dir, with an S3 user; resolves once the gateway has
 * answered a signed request. Disposing it kills the daemons and removes the
 * dir; if this process dies first, a watchdog process does the same.
 *
 * @param options The user's keys, and the start timeout.
 * @returns The running gateway.
 * @throws {Error} Naming the Debian packages when a binary is missing, or
 *   carrying the failing step's output and log when the cluster does not start.
 *
 * @example
 * ```ts ignore
 * import { startRgw } from "../../services.ts";
 *
 * await using rgw = await startRgw();
 * console.log(rgw.env.S3_ENDPOINT); // http://127.0.0.1:…
 * ```
 */
export async function startRgw(
  options: RgwServerOptions = {},
): Promise<RgwServer> {
  const timeout = options.timeout ?? 60_000;
  if (!(timeout > 0)) {
    throw new RangeError(
      `Cannot start Ceph RGW: timeout must be a positive number of milliseconds, got ${timeout}`,
    );
  }
  const { found, missing } = await locateBinaries();
  if (missing.length) {
    throw new Error(
      `Cannot start Ceph RGW: ${
        missing.join(", ")
      } not found on PATH (install Debian's packages: apt-get install ${
        RGW_PACKAGES.join(" ")
      })`,
    );
  }
  const located = (name: Binary): string => {
    const path = found[name];
    if (path === undefined) {
      throw new Error(`Cannot start Ceph RGW: ${name} not found on PATH`);
    }
    return path;
  };
  const bin: Record<Binary, string> = {
    "ceph-mon": located("ceph-mon"),
    "ceph-osd": located("ceph-osd"),
    radosgw: located("radosgw"),
    "radosgw-admin": located("radosgw-admin"),
    monmaptool: located("monmaptool"),
    ceph: located("ceph"),
  };
  const accessKeyId = options.accessKeyId ?? randomKey(20, UPPER_DIGITS);
  const secretAccessKey = options.secretAccessKey ??
    randomKey(40, `${UPPER_DIGITS}abcdefghijklmnopqrstuvwxyz`);
  const deadline = Date.now() + timeout;
  for (let attempt = 1;; attempt++) {
    try {
      return await startCluster(bin, accessKeyId, secretAccessKey, deadline);
    } catch (error) {
      // Its ports were free when picked, and another process (a parallel
      // test's listener) took one before a daemon bound it: new ports, in a
      // new cluster (this one is stopped and its dir removed).
      const taken = /Address already in use/.test(String(error));
      if (!taken || attempt >= PORT_ATTEMPTS || Date.now() > deadline) {
        throw error;
      }
    }
  }
}

/** Clusters started at most, when a daemon's port was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/**
 * Starts one cluster on ports free now, in a new temp dir; stops it and
 * removes the dir when it fails.
 */
async function startCluster(
  bin: Record<Binary, string>,
  accessKeyId: string,
  secretAccessKey: string,
  deadline: number,
): Promise<RgwServer> {
  const dir = await Deno.makeTempDir({ prefix: "itkit-rgw-" });
  const cluster = new Cluster(dir);
  try {
    const monPort = freePort();
    const rgwPort = freePort();
    const conf = `${dir}/ceph.conf`;
    const fsid = crypto.randomUUID();
    await Deno.writeTextFile(conf, cephConf(dir, fsid, monPort, rgwPort));
    await Deno.writeTextFile(`${dir}/keyring`, monKeyring());
    for (const sub of ["run", "log", "mon", "osd/osd.0"]) {
      await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    }
    const c = ["-c", conf];
    await cluster.run(
      bin.monmaptool,
      [
        "--create",
        "--fsid",
        fsid,
        "--addv",
        "a",
        `[v2:127.0.0.1:${monPort}]`,
        `${dir}/monmap`,
      ],
      "monmaptool",
      deadline,
    );
    await cluster.run(
      bin["ceph-mon"],
      [
        ...c,
        "-i",
        "a",
        "--mkfs",
        "--monmap",
        `${dir}/monmap`,
      ],
      "ceph-mon --mkfs",
      deadline,
    );
    cluster.spawn("mon", bin["ceph-mon"], [...c, "-i", "a", "-f"]);
    const uuid = crypto.randomUUID();
    const id = (await cluster.run(
      bin.ceph,
      [
        ...c,
        "--connect-timeout",
        String(secondsLeft(deadline)),
        "osd",
        "new",
        uuid,
      ],
      "ceph osd new",
      deadline,
    )).trim();
    await cluster.run(
      bin["ceph-osd"],
      [...c, "-i", id, "--mkfs", "--osd-uuid", uuid],
      "ceph-osd --mkfs",
      deadline,
    );
    cluster.spawn("osd", bin["ceph-osd"], [...c, "-i", id, "-f"]);
    await cluster.run(
      bin["radosgw-admin"],
      [
        ...c,
        "user",
        "create",
        "--uid=itkit",
        "--display-name=itkit",
        `--access-key=${accessKeyId}`,
        `--secret-key=${secretAccessKey}`,
      ],
      "radosgw-admin user create",
      deadline,
    );
    cluster.spawn("rgw", bin.radosgw, [...c, "-n", "client.rgw", "-f"]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const config: S3Config = {
      endpoint: new URL(endpoint),
      accessKeyId,
      secretAccessKey,
      region: "us-east-1",
    };
    await cluster.waitReady(config, deadline);
    return {
      origin: "rgw",
      config,
      env: {
        S3_ENDPOINT: endpoint,
        S3_ACCESS_KEY: accessKeyId,
        S3_SECRET_KEY: secretAccessKey,
        S3_REGION: "us-east-1",
      },
      dir,
      ...disposeOnce(() => cluster.stop()),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** A daemon that exited, and its exit code. */
interface Exit {
  name: string;
  code: number;
}

/** The daemons of one cluster, their watchdog, and their dir. */
class Cluster {
  #dir: string;
  #daemons = new Map<string, Deno.ChildProcess>();
  #watchdog: Deno.ChildProcess;
  #watchdogInput: WritableStreamDefaultWriter<Uint8Array>;
  #stopped: Promise<void> | undefined;
  /** Settles when the first daemon exits. */
  #exited: Promise<Exit>;
  #exit!: (exit: Exit) => void;

  constructor(dir: string) {
    this.#dir = dir;
    this.#exited = new Promise((resolve) => this.#exit = resolve);
    // Kills the daemons and removes the dir when this process dies without
    // stopping them (its stdin closes); told "done" on a normal stop.
    this.#watchdog = new Deno.Command("sh", {
      args: ["-c", WATCHDOG, "sh", dir],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#watchdogInput = this.#watchdog.stdin.getWriter();
  }

  /**
   * Runs a setup command to completion; throws with its output and the logs
   * when it fails, when a daemon exits meanwhile, or at the deadline (then it
   * is killed).
   */
  async run(
    cmd: string,
    args: string[],
    what: string,
    deadline: number,
  ): Promise<string> {
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    const result = await raceDeadline(
      Promise.race([output, this.#exited]),
      Math.max(0, deadline - Date.now()),
      () => "timeout" as const,
    );
    if (result === "timeout" || !("success" in result)) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await output;
      throw new Error(
        `Cannot start Ceph RGW: ${
          result === "timeout"
            ? `${what} did not finish in time`
            : `${result.name} exited with code ${result.code} during ${what}`
        }${await this.#logs()}`,
      );
    }
    const out = new TextDecoder().decode(result.stdout);
    if (!result.success) {
      throw new Error(
        `Cannot start Ceph RGW: ${what} failed: ${
          (new TextDecoder().decode(result.stderr) || out).trim()
        }${await this.#logs()}`,
      );
    }
    return out;
  }

  /** Starts a daemon in the foreground; its log goes to `<dir>/log`. */
  spawn(name: string, cmd: string, args: string[]): void {
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#daemons.set(name, child);
    child.status.then(({ code }) => this.#exit({ name, code }));
    this.#watchdogInput.write(new TextEncoder().encode(`${child.pid}\n`))
      .catch(() => {});
  }

  /** Sends signed requests until one succeeds, a daemon exits, or time is up. */
  async waitReady(config: S3Config, deadline: number): Promise<void> {
    const { ListBucketsCommand } = await loadS3Sdk();
    let dead: Exit | undefined;
    this.#exited.then((exit) => dead = exit);
    let last: unknown;
    for (;;) {
      const client = await s3Client(config);
      try {
        await client.send(new ListBucketsCommand({}), {
          abortSignal: AbortSignal.timeout(2_000),
        });
        return;
      } catch (error) {
        last = error;
      } finally {
        client.destroy();
      }
      if (dead && !this.#stopped) {
        throw new Error(
          `Cannot start Ceph RGW: ${dead.name} exited with code ${dead.code}${await this
            .#logs()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot start Ceph RGW: no answer to a signed request at ${config.endpoint.origin} in time (last: ${
            (last as Error)?.name
          }: ${(last as Error)?.message})${await this.#logs()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the daemons, waits for them, removes the dir. Idempotent. */
  stop(): Promise<void> {
    return this.#stopped ??= (async () => {
      for (const child of this.#daemons.values()) {
        try {
          child.kill("SIGKILL");
        } catch { /* already exited */ }
      }
      await Promise.all([...this.#daemons.values()].map((c) => c.status));
      await this.#watchdogInput.write(new TextEncoder().encode("done\n"))
        .catch(() => {});
      await this.#watchdogInput.close().catch(() => {});
      await this.#watchdog.status;
      await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    })();
  }

  async #logs(): Promise<string> {
    let text = "";
    try {
      for await (const entry of Deno.readDir(`${this.#dir}/log`)) {
        const lines =
          (await Deno.readTextFile(`${this.#dir}/log/${entry.name}`))
            .trimEnd().split("\n").slice(-15);
        text += `\n--- ${entry.name} (last lines)\n${lines.join("\n")}`;
      }
    } catch { /* no logs yet */ }
    return text;
  }
}

// Reads daemon pids until "done" (normal stop: exit) or end of input (the
// parent died: kill them, wait until each is gone, not a zombie, so none
// still writes its log, bounded at 30 s for one that never goes, then remove
// the dir).
const WATCHDOG = `pids=
while read -r p; do
  [ "$p" = done ] && exit 0
  pids="$pids $p"
done
[ -n "$pids" ] && kill -9 $pids 2>/dev/null
for p in $pids; do
  i=0
  while [ $i -lt 600 ] && [ -e /proc/$p ] &&
    [ "$(sed 's/.*) \\(.\\).*/\\1/' /proc/$p/stat 2>/dev/null)" != Z ]; do
    sleep 0.05
    i=$((i + 1))
  done
done
rm -rf "$1"`;

function cephConf(
  dir: string,
  fsid: string,
  monPort: number,
  rgwPort: number,
): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
# a port taken since it was picked fails at once (not after three tries 5 s
# apart): startRgw() then starts again on new ports
ms bind retry count = 1
# no authentication inside the cluster; radosgw asks for a secure mon
# connection by default, which needs cephx
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
mon cluster log to file = false
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# commit monitor changes at once, not once a second (pool creation)
paxos propose interval = 0.01
paxos min wait = 0.001
mon tick interval = 1
objecter tick interval = 0.2
osd objectstore = memstore
memstore device bytes = 2147483648
osd op num shards = 1
osd op num threads per shard = 2
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
crash dir = ${dir}/crash
exec dir = ${dir}/run
keyring = ${dir}/keyring
mon data = ${dir}/mon/$name
osd data = ${dir}/osd/$name
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw thread pool size = 64
rgw dynamic resharding = false
debug rgw = 0/0
`;
}

/** A keyring with a random `mon.` key (`ceph-mon --mkfs` wants one). */
function monKeyring(): string {
  // A CryptoKey: u16 type (1 = AES), u32 seconds, u32 nanoseconds, u16
  // length, then the secret; little-endian.
  const bytes = new Uint8Array(28);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 1, true);
  view.setUint32(2, Math.floor(Date.now() / 1000), true);
  view.setUint16(10, 16, true);
  crypto.getRandomValues(bytes.subarray(12));
  const key = btoa(String.fromCharCode(...bytes));
  return `[mon.]\n\tkey = ${key}\n\tcaps mon = "allow *"\n`;
}

const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function randomKey(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function secondsLeft(deadline: number): number {
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
