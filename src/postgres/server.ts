/**
 * A throwaway PostgreSQL cluster from the native server binaries: a temp dir,
 * loopback, a free port, `fsync=off`, removed on dispose. As root, the server
 * runs as the `postgres` user (PostgreSQL refuses to run as root).
 *
 * @module
 */

import type { ServerHandle } from "../run/server_handle.ts";
import type { PostgresConfig } from "./config.ts";
import { postgresUrl } from "./config.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { findPostgresBinaries } from "./_binaries.ts";
import { removeEntry } from "../util/cache_dir.ts";
import {
  clusterCachePath,
  copyTree,
  hasCachedCluster,
  storeCluster,
} from "./_cluster_cache.ts";

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
  /**
   * A certificate and its private key (PEM text) for the server to offer
   * TLS with (`ssl=on`): for testing clients' `sslmode` settings.
   *
   * @default {undefined} (no TLS)
   */
  tls?: { cert: string; key: string };
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
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 and a free port.
 *
 * What `initdb` makes is kept in the user's cache directory
 * (`ITKIT_CACHE_DIR`, else the OS cache directory's `itkit`;
 * `ITKIT_CACHE_DIR=""` turns this off), one per binaries and password, and
 * later clusters start from a copy of it (about 1 s sooner). Without
 * permission to read and write there, or when the copy does not start, it
 * runs `initdb`.
 *
 * @param options Binaries, password, TLS.
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
    const owner = asRoot ? await postgresOwner() : undefined;
    if (owner) await Deno.chown(dir, owner.uid, owner.gid);
    // What initdb makes is kept in the user's cache directory and copied
    // for the next clusters (about 3 s of CPU less per cluster).
    const cache = await clusterCachePath(bin, password);
    const initialize = async (): Promise<void> => {
      await Deno.writeTextFile(`${dir}/pwfile`, password);
      if (owner) await Deno.chown(`${dir}/pwfile`, owner.uid, owner.gid);
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
      // Before its first start: as initdb left it.
      if (cache !== undefined) await storeCluster(data, cache);
    };
    let copied = false;
    if (cache !== undefined && await hasCachedCluster(cache)) {
      try {
        copyTree(cache, data, owner);
        copied = true;
      } catch {
        await Deno.remove(data, { recursive: true }).catch(() => {});
      }
    }
    if (!copied) await initialize();
    const tls: string[] = [];
    if (options.tls) {
      // The key must be the server user's and private, or it refuses it.
      for (const [name, pem] of Object.entries(options.tls)) {
        const path = `${dir}/server.${name}`;
        await Deno.writeTextFile(path, pem, { mode: 0o600 });
        if (owner) await Deno.chown(path, owner.uid, owner.gid);
      }
      tls.push(
        "-c ssl=on",
        `-c ssl_cert_file=${dir}/server.cert`,
        `-c ssl_key_file=${dir}/server.key`,
      );
    }
    let port = 0;
    // Up to 3 attempts (another process may take the free port first); one
    // for a copied directory, which may be what does not start.
    const start = async (attempts: number): Promise<void> => {
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
              ...tls,
            ].join(" "),
            "start",
          ], "pg_ctl start");
          started = true;
          return;
        } catch (error) {
          if (attempt >= attempts) throw error;
        }
      }
    };
    try {
      await start(copied ? 1 : 3);
    } catch (error) {
      if (!copied) throw error;
      // A cached directory that does not start: dropped, and initdb after all.
      await removeEntry(cache!);
      await Deno.remove(data, { recursive: true });
      await Deno.remove(`${dir}/server.log`).catch(() => {});
      await initialize();
      await start(3);
    }
    const config: PostgresConfig = {
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
    };
    const server: PostgresServer = {
      origin: "native",
      config,
      env: { DATABASE_URL: postgresUrl(config, true) },
      dir,
      ...disposeOnce(stop),
    };
    // Printed (console.log, Deno.inspect) without the password.
    return Object.defineProperty(server, Symbol.for("Deno.customInspect"), {
      value: (
        inspect: typeof Deno.inspect,
        options: Deno.InspectOptions,
      ): string =>
        `PostgresServer ${
          inspect({ origin: "native", url: postgresUrl(config), dir }, options)
        }`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The `postgres` user's ids, for the files of a cluster made as root. */
async function postgresOwner(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> => {
    const { stdout } = await new Deno.Command("id", {
      args: [flag, "postgres"],
      stdout: "piped",
    }).output();
    return Number(new TextDecoder().decode(stdout).trim());
  };
  return { uid: await id("-u"), gid: await id("-g") };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
