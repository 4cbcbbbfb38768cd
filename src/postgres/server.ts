/**
 * A throwaway PostgreSQL cluster from the native server binaries: a temp dir,
 * loopback, a free port, `fsync=off`, removed on dispose. As root, the server
 * runs as the `postgres` user (PostgreSQL refuses to run as root).
 *
 * @module
 */

import type { ServerHandle } from "../services/server_handle.ts";
import type { PostgresConfig } from "./config.ts";
import { postgresUrl } from "./config.ts";
import { readEnv } from "../util/env.ts";
import { disposeOnce } from "../util/dispose_once.ts";

/** Options of {@linkcode startPostgresServer}. */
export interface PostgresServerOptions {
  /**
   * The directory holding `initdb`, `pg_ctl` and `postgres`.
   *
   * @default {$PG_BIN_DIR, else the newest /usr/lib/postgresql/N/bin, else PATH}
   */
  binDir?: string;
  /**
   * The superuser's password (user `postgres`).
   *
   * @default {"postgres"}
   */
  password?: string;
}

/**
 * A running throwaway PostgreSQL cluster: `config` connects as the superuser,
 * `env` holds its `DATABASE_URL`.
 */
export interface PostgresServer extends ServerHandle<PostgresConfig, "native"> {
  /** The cluster's temp dir. */
  readonly dir: string;
}

/**
 * Finds the directory of the PostgreSQL server binaries.
 *
 * @param binDir A directory to check first.
 * @returns The directory, or `undefined` when there is none.
 *
 * @example
 * ```ts
 *
 * console.log(await findPostgresBinaries() ?? "no PostgreSQL server binaries");
 * ```
 */
export async function findPostgresBinaries(
  binDir?: string,
): Promise<string | undefined> {
  const candidates: string[] = [];
  const explicit = binDir ?? readEnv("PG_BIN_DIR");
  if (explicit) candidates.push(explicit);
  try {
    const versions: number[] = [];
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
    versions.sort((a, b) => b - a);
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch { /* not Debian, or none installed */ }
  for (const dir of (readEnv("PATH") ?? "").split(":")) {
    if (dir) candidates.push(dir);
  }
  for (const dir of candidates) {
    if (await isFile(`${dir}/initdb`) && await isFile(`${dir}/pg_ctl`)) {
      return dir;
    }
    if (explicit && dir === explicit) {
      throw new TypeError(
        `Cannot start PostgreSQL: ${dir} has no initdb and pg_ctl (check PG_BIN_DIR)`,
      );
    }
  }
  return undefined;
}

/**
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 and a free port.
 *
 * @param options Binaries and password.
 * @returns The running server; dispose it to stop it and remove its files.
 * @throws {Error} When no binaries are found or the server does not start
 *   (the message carries the server log).
 *
 * @example
 * ```ts ignore
 * import { startPostgresServer } from "../../services.ts";
 *
 * await using server = await startPostgresServer();
 * console.log(server.env.DATABASE_URL);
 * ```
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServer> {
  const bin = await findPostgresBinaries(options.binDir);
  if (!bin) {
    throw new Error(
      "Cannot start PostgreSQL: no server binaries found (install Debian's postgresql package, or set PG_BIN_DIR)",
    );
  }
  const password = options.password ?? "postgres";
  const dir = await Deno.makeTempDir({ prefix: "itkit-pg-" });
  const asRoot = Deno.uid() === 0;
  const run = async (args: string[], what: string): Promise<void> => {
    const [cmd, ...rest] = asRoot
      ? ["runuser", "-u", "postgres", "--", ...args]
      : args;
    if (cmd === undefined) throw new TypeError(`Cannot ${what}: no command`);
    const { success, stderr, stdout } = await new Deno.Command(cmd, {
      args: rest,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    if (!success) {
      let log = "";
      try {
        log = await Deno.readTextFile(`${dir}/server.log`);
      } catch { /* no log yet */ }
      throw new Error(
        `Cannot start PostgreSQL: ${what} failed: ${
          new TextDecoder().decode(stderr).trim() ||
          new TextDecoder().decode(stdout).trim()
        }${log ? `\nserver log:\n${log}` : ""}`,
      );
    }
  };
  let started = false;
  const data = `${dir}/data`;
  const stop = async () => {
    if (started) {
      started = false;
      await run(
        [`${bin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"],
        "pg_ctl stop",
      )
        .catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    if (asRoot) await chownToPostgres(dir);
    await Deno.writeTextFile(`${dir}/pwfile`, password);
    if (asRoot) await chownToPostgres(`${dir}/pwfile`);
    await run([
      `${bin}/initdb`,
      "-D",
      data,
      "-U",
      "postgres",
      "--pwfile",
      `${dir}/pwfile`,
      "--auth=scram-sha-256",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ], "initdb");
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = freePort();
      try {
        await run([
          `${bin}/pg_ctl`,
          "-D",
          data,
          "-l",
          `${dir}/server.log`,
          "-w",
          "-t",
          "30",
          "-o",
          [
            `-p ${port}`,
            "-c listen_addresses=127.0.0.1",
            `-k ${dir}`,
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c synchronous_commit=off",
            "-c max_connections=300",
          ].join(" "),
          "start",
        ], "pg_ctl start");
        started = true;
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    const config: PostgresConfig = {
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
    };
    return {
      origin: "native",
      config,
      env: { DATABASE_URL: postgresUrl(config, true) },
      dir,
      ...disposeOnce(stop),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function chownToPostgres(path: string): Promise<void> {
  const { stdout } = await new Deno.Command("id", {
    args: ["-u", "postgres"],
    stdout: "piped",
  }).output();
  const uid = Number(new TextDecoder().decode(stdout).trim());
  const { stdout: g } = await new Deno.Command("id", {
    args: ["-g", "postgres"],
    stdout: "piped",
  }).output();
  await Deno.chown(path, uid, Number(new TextDecoder().decode(g).trim()));
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
