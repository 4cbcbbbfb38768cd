// Internal: how the toolkit starts its own Deno helper processes (the reaper,
// the database clone helper): detached, quiet, and in a working directory
// that cannot disappear under them; and how the workers of one test process
// share one helper of each kind.
//
// Sharing: under `deno test --parallel` each test module runs in a worker
// thread of one process, with a module instance of its own. The first worker
// that needs a helper spawns it and talks to it over its stdin and stdout;
// the helper also serves a Unix socket in a directory named for the process
// (`$TMPDIR/itkit-<token>-<pid>/<kind>.sock`, the directory readable by its
// user only), and a marker file (`$TMPDIR/ready-itkit-<token>-<pid>` for the
// reaper, `ready-drops-itkit-…` for the clone helper, holding the helper's
// pid, written by the worker that spawned it) tells a later worker that it
// runs: that worker connects to the socket instead of spawning another. The
// token is made of the process's start time, shaped like a run id: to the
// sweep the marker is a ready file and the directory a temp dir of a run
// that is alive while the process runs or a helper names the marker on its
// command line (src/run/_local_runs.ts). Who spawns is decided under an exclusive `flock` on a
// file of /proc/self (one per kind, opened by each worker; nothing to create
// or remove), so two workers loading at once never both spawn. The helper
// keeps what each connection registered and cleans it up when that
// connection closes (its worker ended, or the process died: the kernel
// closes its sockets), and exits once no connection is left and the process
// has ended. Where /proc/self cannot be opened (no --allow-all, not Linux),
// each worker spawns its own helper, as before.

import { readEnv, systemTempDir } from "./env.ts";

/** Options of {@linkcode spawnHelper}. */
export interface HelperSpawnOptions {
  /** `deno run` flags besides the toolkit's own (permissions). */
  flags: string[];
  /** The program's arguments. */
  args: string[];
}

/**
 * The working directory of a helper: the file system root. A helper outlives
 * the test process, whose working directory may be removed as soon as the
 * tests end (a throwaway checkout); Deno cannot even start without one
 * ("could not read current working directory"), and that failure would come
 * before the helper could say anything. The root also keeps Deno from
 * discovering the user's `deno.json` (and writing its lock file).
 */
export function helperWorkingDir(): string {
  if (Deno.build.os !== "windows") return "/";
  const drive = /^[A-Za-z]:/.exec(Deno.execPath())?.[0] ?? "C:";
  return `${drive}\\`;
}

/**
 * Spawns `deno run` on one of the toolkit's own programs, in its own session
 * (Ctrl-C or SIGTERM to the test's process group misses it), with stdin and
 * stdout piped for its protocol and stderr piped for the one case it says
 * something there: it could not start (its parent reads it when it notices).
 * `--quiet` keeps npm download notices out of that pipe.
 *
 * @param main The program (a `file:` URL, or remote when imported from JSR).
 * @param options Its flags and arguments.
 * @returns The running child.
 */
export function spawnHelper(
  main: URL,
  options: HelperSpawnOptions,
): Deno.ChildProcess {
  const args = ["run", "--quiet", "--no-prompt", ...options.flags];
  if (main.protocol === "file:") {
    // This package's own import map and lock file, wherever the helper runs.
    args.push("--config", new URL("../../deno.json", import.meta.url).pathname);
  }
  return new Deno.Command(Deno.execPath(), {
    args: [...args, main.href, ...options.args],
    // Under `cli.ts permissions --audit`, the helper's own permission checks
    // must not land in the test process's audit log.
    ...(readEnv("DENO_AUDIT_PERMISSIONS")
      ? { clearEnv: true, env: withoutAudit() }
      : {}),
    cwd: helperWorkingDir(),
    detached: true,
    stdin: "piped",
    stdout: "piped",
    // Not inherited: the helper outlives the test process, and whoever reads
    // the process's output must not wait for it.
    stderr: "piped",
  }).spawn();
}

/** The most of a helper's stderr its parent reads (see `helperStderr`). */
const STDERR_KEPT = 8 * 1024;

/**
 * What a helper that ended said on its stderr: its first 8 KiB at most (a
 * helper says one failure there, and at exit how many more it had; see
 * helper_stderr.ts), the rest dropped unread.
 *
 * @param stderr The helper's stderr.
 * @returns The text, trimmed; empty when it cannot be read.
 */
export async function helperStderr(
  stderr: ReadableStream<Uint8Array>,
): Promise<string> {
  const reader = stderr.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < STDERR_KEPT) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // Gone: what was read is what there is.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes.subarray(0, STDERR_KEPT)).trim();
}

/** The process's environment without Deno's audit log variables. */
function withoutAudit(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.DENO_AUDIT_PERMISSIONS;
  delete env.DENO_TRACE_PERMISSIONS;
  return env;
}

/** The helpers a test process shares between its workers. */
export type HelperKind = "reaper" | "clones";

/** The /proc/self file each kind's spawning is serialized on (a flock). */
const LOCK_FILES: Record<HelperKind, string> = {
  reaper: "/proc/self/status",
  clones: "/proc/self/statm",
};

/**
 * The longest Unix socket path the toolkit uses (`sun_path` holds 108 bytes
 * on Linux, 104 on macOS, with its terminating NUL).
 */
const MAX_SOCKET_PATH = 100;

/** Where this process's shared helper of one kind is found. */
export interface SharedHelperPlace {
  /** The socket it serves. */
  socket: string;
  /** The file that holds its pid while it runs. */
  marker: string;
}

/**
 * The place of this process's shared helper of `kind`, or `undefined` when
 * its workers cannot share one (not Linux, no permission to open
 * /proc/self, or a temp dir whose path is too long for a socket).
 *
 * @param kind The helper.
 * @returns Its place.
 */
export function sharedHelperPlace(
  kind: HelperKind,
): SharedHelperPlace | undefined {
  const token = processToken();
  if (token === undefined) return undefined;
  const tmp = systemTempDir();
  const socket = `${tmp}/itkit-${token}-${Deno.pid}/${kind}.sock`;
  if (new TextEncoder().encode(socket).length > MAX_SOCKET_PATH) {
    return undefined;
  }
  const marker = `${tmp}/ready-${
    kind === "clones" ? "drops-" : ""
  }itkit-${token}-${Deno.pid}`;
  return { socket, marker };
}

/**
 * This process's token: its start time in ms, base 36, and the low 16 bits
 * of its pid, hex (`mxcg0bu1a72c`): shaped like a run id, with its time, the
 * same in every worker of the process, and apart from any other process's
 * (a sweep tells runs apart by it).
 */
function processToken(): string | undefined {
  if (Deno.build.os !== "linux" || !allGranted()) return undefined;
  const ticks = Number(processStart("self"));
  let boot = NaN;
  try {
    boot = Number(
      /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"))?.[1],
    );
  } catch {
    return undefined;
  }
  if (!Number.isFinite(ticks) || !Number.isFinite(boot)) return undefined;
  // Linux reports the start in USER_HZ (100 a second everywhere).
  const started = boot * 1000 + ticks * 10;
  // The low bits of the pid: processes started in the same tick differ.
  return started.toString(36) +
    (Deno.pid & 0xffff).toString(16).padStart(4, "0");
}

/**
 * The start time of process `pid` (clock ticks since boot, /proc's field
 * 22): with the pid, it names one process for as long as the machine runs.
 *
 * @param pid A pid, or `self`.
 * @returns It, or `undefined` where /proc cannot say (not Linux, not
 *   permitted without a prompt, gone).
 */
export function processStart(pid: number | "self"): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const path = `/proc/${pid}/stat`;
  // Deno grants /proc/self only with --allow-all: ask without prompting.
  if (pid === "self" && !allGranted()) return undefined;
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    return undefined;
  }
  try {
    const stat = Deno.readTextFileSync(path);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether every permission is granted (what Deno asks for /proc/self). */
function allGranted(): boolean {
  for (
    const name of ["read", "write", "run", "ffi", "sys", "net", "env"] as const
  ) {
    if (Deno.permissions.querySync({ name }).state !== "granted") return false;
  }
  return true;
}

/**
 * Whether process `pid` runs `program` (a helper of ours): not gone, not a
 * zombie, and not a later process that got its pid. Linux only.
 *
 * @param pid The process.
 * @param program A part of its command line.
 * @returns Whether it does.
 */
export function runsProgram(pid: number, program: string): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (/^\d+ \(.*\) [ZX] /.test(stat)) return false;
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(program);
  } catch {
    return false;
  }
}

/** How a worker came by its helper. */
export type HelperClaim =
  /** It spawned it (and shares it through `place`, if given). */
  | { spawned: Deno.ChildProcess; place?: SharedHelperPlace | undefined }
  /** Another worker of the process did: connect to it. */
  | { connect: SharedHelperPlace; pid: number };

/**
 * Finds this process's helper of `kind`, or spawns it: under an exclusive
 * flock that every worker of the process takes (synchronously, at module
 * load: the wait is another worker's spawn, a few ms), reads the marker; a
 * helper it names that still runs is connected to; else `spawn` starts one,
 * given the place to serve, and the marker is written with its pid.
 *
 * @param kind The helper.
 * @param program The helper's program file name (to recognize it in /proc).
 * @param spawn Spawns it, serving `place` when given.
 * @returns The claim.
 * @throws What `spawn` throws.
 */
export function claimHelper(
  kind: HelperKind,
  program: string,
  spawn: (place: SharedHelperPlace | undefined) => Deno.ChildProcess,
): HelperClaim {
  const place = sharedHelperPlace(kind);
  let lock: Deno.FsFile | undefined;
  try {
    if (place) lock = Deno.openSync(LOCK_FILES[kind]);
  } catch {
    lock = undefined;
  }
  if (!place || !lock) return { spawned: spawn(undefined) };
  try {
    lock.lockSync(true);
    const pid = readMarker(place.marker);
    if (pid !== undefined && runsProgram(pid, program)) {
      return { connect: place, pid };
    }
    // Not there, or its helper was killed (or never spawned): this worker
    // starts the next one.
    if (pid !== undefined || ownFile(place.marker)) {
      Deno.removeSync(place.marker);
    }
    // The marker first, with a placeholder its pid overwrites: where it
    // cannot be written (a full disk), the helper is not shared.
    let marker: Deno.FsFile;
    try {
      marker = Deno.openSync(place.marker, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
    } catch {
      return { spawned: spawn(undefined) };
    }
    try {
      writeAllSync(marker, "0000000000\n");
    } catch {
      marker.close();
      Deno.removeSync(place.marker);
      return { spawned: spawn(undefined) };
    }
    let child: Deno.ChildProcess;
    try {
      child = spawn(place);
    } catch (error) {
      marker.close();
      Deno.removeSync(place.marker);
      throw error;
    }
    try {
      // In place, the placeholder's length: no block to allocate.
      marker.seekSync(0, Deno.SeekMode.Start);
      writeAllSync(marker, `${String(child.pid).padEnd(10)}\n`);
    } catch {
      // A placeholder no worker takes for a helper: the next spawns its own.
    } finally {
      marker.close();
    }
    return { spawned: child, place };
  } finally {
    lock.close(); // and with it the flock
  }
}

/** Whether `path` is a regular file of this user's (not a link). */
function ownFile(path: string): boolean {
  try {
    const info = Deno.lstatSync(path);
    return info.isFile && info.uid === Deno.uid();
  } catch {
    return false;
  }
}

function writeAllSync(file: Deno.FsFile, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) {
    at += file.writeSync(bytes.subarray(at));
  }
}

/**
 * The pid in a marker file (a regular file of this user's, not a link), if
 * any.
 *
 * @param marker Its path.
 * @returns The pid.
 */
export function readMarker(marker: string): number | undefined {
  try {
    const info = Deno.lstatSync(marker);
    if (!info.isFile || info.uid !== Deno.uid()) return undefined;
    const pid = Number(Deno.readTextFileSync(marker).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A worker's side of a helper it did not spawn: a socket connection. */
export interface HelperConnection {
  /** The helper's pid. */
  pid: number;
  /** Writes bytes, in order, once connected. */
  write(bytes: Uint8Array): Promise<void>;
  /** Reads what the helper answered (its bytes after the hello line first). */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Lets the connection keep the event loop alive (while awaiting an answer). */
  ref(): void;
  /** Stops it from keeping the event loop alive. */
  unref(): void;
  /**
   * Resolves with the helper's answer to the hello (its first line, for the
   * caller to read as a message of its protocol) once connected, or rejects.
   */
  hello: Promise<string>;
  /**
   * Whether the helper still runs: reads /proc/<pid>/stat through a file
   * opened once connected (no permission needed inside a test).
   */
  alive(): boolean;
}

/**
 * Connects to the helper another worker of this process spawned, sends
 * `hello` (a line of its protocol) first, and reads its answer (one line).
 * Until
 * the helper has bound its socket (it is starting), tries again every 10 ms
 * while it runs and its marker names it.
 *
 * @param place Its socket and marker.
 * @param pid Its pid.
 * @param program Its program file name.
 * @param hello The first request, as its line (without the newline).
 * @returns The connection (writes wait until it is connected).
 */
export function connectHelper(
  place: SharedHelperPlace,
  pid: number,
  program: string,
  hello: string,
): HelperConnection {
  const encoder = new TextEncoder();
  let conn: Deno.Conn | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let leftover: Uint8Array | undefined;
  let refd = false;
  let stat: Deno.FsFile | undefined;
  const connected = (async () => {
    for (;;) {
      try {
        conn = await Deno.connect({ transport: "unix", path: place.socket });
        break;
      } catch (error) {
        const starting = error instanceof Deno.errors.NotFound ||
          error instanceof Deno.errors.ConnectionRefused;
        if (
          !starting || readMarker(place.marker) !== pid ||
          !runsProgram(pid, program)
        ) {
          throw new Error(
            `the ${program} (pid ${pid}) of this process is gone or not serving ${place.socket}: ${error}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    writer = conn.writable.getWriter();
    reader = conn.readable.getReader();
    await writer.write(encoder.encode(hello + "\n"));
    try {
      stat = Deno.openSync(`/proc/${pid}/stat`);
    } catch {
      stat = undefined; // gone already: `alive` says so
    }
  })();
  let writing: Promise<unknown> = connected;
  const helloAnswer = (async () => {
    await connected;
    let text = "";
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader!.read();
      if (done) {
        throw new Error(`the ${program} (pid ${pid}) closed the connection`);
      }
      const newline = value.indexOf(10);
      if (newline === -1) {
        text += decoder.decode(value, { stream: true });
        continue;
      }
      text += decoder.decode(value.subarray(0, newline));
      if (newline + 1 < value.length) leftover = value.subarray(newline + 1);
      // Referenced until now (the module's first test waits for this
      // answer); from now on only while an answer is awaited.
      if (!refd) conn!.unref();
      return text;
    }
  })();
  helloAnswer.catch(() => {});
  const buffer = new Uint8Array(512);
  return {
    pid,
    hello: helloAnswer,
    write(bytes: Uint8Array): Promise<void> {
      const done = writing.then(() => writer!.write(bytes));
      writing = done.catch(() => {});
      return done;
    },
    async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
      await helloAnswer;
      if (leftover) {
        const value = leftover;
        leftover = undefined;
        return { value, done: false };
      }
      return await reader!.read();
    },
    ref(): void {
      refd = true;
      conn?.ref();
    },
    unref(): void {
      refd = false;
      conn?.unref();
    },
    alive(): boolean {
      if (!stat) return conn === undefined;
      try {
        stat.seekSync(0, Deno.SeekMode.Start);
        const n = stat.readSync(buffer) ?? 0;
        const text = new TextDecoder().decode(buffer.subarray(0, n));
        return n > 0 && !/^\d+ \(.*\) [ZX] /.test(text);
      } catch {
        return false; // ESRCH: it ended (and was collected)
      }
    },
  };
}
