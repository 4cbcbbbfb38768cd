// Internal: how a service's server starts (launch.ts has its shape): its
// program on 127.0.0.1 and a free port, in a fresh private directory, waited
// for until its probe passes, its output kept in that directory, and stopped
// with everything it started (by the reaper if the process that started it
// dies).

import type { ServiceStart } from "./definition.ts";
import type { ServiceServer, ServiceStartOptions } from "./launch.ts";
import { launch, type Launched } from "../run/launched.ts";
import { uniqueSuffix } from "../run/naming.ts";
import { forget, handOff, register, startReaper } from "../run/reaper.ts";
import { readEnv, systemTempDir } from "../util/env.ts";
import { describe, maskUrl } from "../util/text.ts";
import { disposeOnce } from "../util/dispose_once.ts";

/** How the reaper removes a directory. */
const DIR_REMOVER = new URL("../run/_dir_reap.ts", import.meta.url).href;

/**
 * Where a program is: a path as given, `deno` as the running Deno, else the
 * first executable file of that name on `PATH`.
 *
 * @param program The program.
 * @returns Its path, or `undefined` when there is none.
 */
export async function findProgram(
  program: string,
): Promise<string | undefined> {
  if (program === "deno") return Deno.execPath();
  const candidates = program.includes("/")
    ? [program]
    : (readEnv("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(":")
      .filter(Boolean).map((dir) => `${dir}/${program}`);
  for (const path of candidates) {
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/**
 * Starts a server from a service's `start`, retrying on another port when
 * the one picked was taken meanwhile.
 *
 * @param name The service's name.
 * @param env The variable that points at it.
 * @param start How to start it.
 * @param probe The service's probe check.
 * @param options Whether the reaper stops it.
 * @returns The running server.
 * @throws When the program is not there, exits, or does not answer in time
 *   (the message carries its output).
 */
export async function startServer(
  name: string,
  env: string,
  start: ServiceStart,
  probe: (url: URL, signal: AbortSignal) => Promise<string | void>,
  options: ServiceStartOptions = {},
): Promise<ServiceServer> {
  const where = `Cannot start ${name}`;
  const [program, ...first] = start.command;
  const path = program === undefined ? undefined : await findProgram(program);
  if (path === undefined) {
    throw new Error(
      `${where}: ${program} not found on PATH (install it, or set ${env} to a running server)`,
    );
  }
  const useReaper = (options.reaper ?? true) && startReaper();
  const dir = `${systemTempDir()}/${name}-itkit-${uniqueSuffix("-")}`;
  // --- reaper: the directory, registered before it is made
  const dirId = useReaper
    ? await register({ remover: DIR_REMOVER, what: `dir ${dir}`, path: dir })
    : undefined;
  // --- end reaper
  await Deno.mkdir(dir, { mode: 0o700 });
  const logFile = `${dir}/output.log`;
  const startTimeout = start.startTimeout ?? 15_000;
  const stopTimeout = start.stopTimeout ?? 5_000;
  const removeDir = async (): Promise<void> => {
    if (dirId !== undefined && await handOff(dirId)) return;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (dirId !== undefined) await forget(dirId);
  };
  let failure = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = freePort();
    const url = start.url({ port });
    let server: Launched;
    try {
      server = await launch({
        command: [path, ...first, ...start.args({ port, dir })],
        what: name,
        cwd: dir,
        logFile,
        stopTimeout,
      });
    } catch (error) {
      await removeDir();
      throw new Error(
        `${where}: ${path} could not be run: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    const outcome = await ready(server, new URL(url), probe, startTimeout);
    if (outcome === "") {
      return {
        origin: "launched",
        config: new URL(url),
        url,
        env: { [env]: url },
        pid: server.pid,
        dir,
        logFile,
        output: () => server.output(),
        ...disposeOnce(async () => {
          await server.stop();
          await removeDir();
        }),
      };
    }
    await server.stop();
    failure = `${outcome}${tail(server.output())}`;
    // The port was taken between picking and binding it: another.
    if (!/address already in use|EADDRINUSE/i.test(server.output())) break;
  }
  await removeDir();
  throw new Error(`${where} (${[path, ...first].join(" ")}): ${failure}`);
}

/**
 * Waits until `probe` passes on `url` (`""`), the server exits, or
 * `timeout` passes (then why, as text).
 */
async function ready(
  server: Launched,
  url: URL,
  probe: (url: URL, signal: AbortSignal) => Promise<string | void>,
  timeout: number,
): Promise<string> {
  const until = Date.now() + timeout;
  let last = "";
  for (let pause = 5;; pause = Math.min(pause * 2, 100)) {
    const exited = server.exited();
    if (exited) {
      return `it exited (${
        exited.signal ? `signal ${exited.signal}` : `code ${exited.code}`
      }) before it answered on ${maskUrl(url.href)}`;
    }
    try {
      last = (await probe(url, AbortSignal.timeout(2_000))) ?? "";
    } catch (error) {
      last = describe(error);
    }
    if (last === "") return "";
    if (Date.now() > until) {
      return `it did not answer on ${
        maskUrl(url.href)
      } within ${timeout} ms (startTimeout; last: ${last})`;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** A free loopback port now (the server binds it a moment later). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The last lines of an output, as the end of a message. */
function tail(output: string): string {
  const text = output.trimEnd();
  if (text === "") return "; it printed nothing";
  const lines = text.split("\n");
  return `; its output${lines.length > 40 ? " (last 40 lines)" : ""}:\n${
    lines.slice(-40).join("\n")
  }`;
}
