/**
 * Local services for a test module: PostgreSQL, S3 and Redis (when
 * `redis-server` is installed), started once per
 * process in a helper process (unless `DATABASE_URL` / `S3_ENDPOINT` are
 * configured), and stopped when this process exits, however it exits.
 *
 * @module
 */

import { type PostgresConfig, postgresConfig } from "../postgres/config.ts";
import { type S3Config, s3Config } from "../s3/config.ts";
import type { ProvisionedService } from "./provision.ts";
import { recordService } from "../run/summary.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { readServicesReport } from "./services_report.ts";

/** Options of {@linkcode localServices}. */
export interface LocalServicesOptions {
  /**
   * Set the variables that point at the services (`DATABASE_URL`, `S3_*`) in
   * this process, so fixtures and probes find them by default.
   *
   * @default {true}
   */
  export?: boolean;
}

/** The services a test module uses. */
export interface LocalServices extends AsyncDisposable {
  /** How to reach PostgreSQL. */
  readonly postgres: PostgresConfig;
  /** How to reach S3. */
  readonly s3: S3Config;
  /** The variables for the provisioned services (empty for configured ones). */
  readonly env: Readonly<Record<string, string>>;
  /** Each service and where it came from. */
  readonly services: readonly ProvisionedService[];
  /**
   * Stops the provisioned services. At module scope (while the module is
   * still loading) this does nothing: the services must outlive the module's
   * evaluation for its tests, and stop when the process exits.
   */
  close(): Promise<void>;
}

let started: Promise<LocalServices> | undefined;
let loaded = false;
globalThis.addEventListener?.("load", () => {
  loaded = true;
});

/**
 * Provides PostgreSQL, S3 and Redis (when `redis-server` is installed) to a
 * test module, started once per process:
 * configured endpoints (`DATABASE_URL`, `S3_ENDPOINT`) win; otherwise a
 * helper process runs a throwaway PostgreSQL (native binaries, else embedded
 * PGlite) and s3rver on loopback, and stops them when this process exits.
 * Needs `--allow-run` (to start Deno) and `--allow-env`.
 *
 * @param options Whether to export the variables into this process.
 * @returns The services.
 * @throws {Error} When the helper fails to start them.
 *
 * @example
 * ```ts ignore
 * import { integration } from "../../mod.ts";
 * import { localServices } from "../../services.ts";
 * import { postgresDatabase } from "../../postgres.ts";
 *
 * await using services = await localServices(); // stays up for the tests
 *
 * integration("uses a database", {
 *   fixtures: { db: postgresDatabase.fixture({ config: services.postgres }) },
 * }, async (_t, { db }) => {
 *   await db.sql`select 1`;
 * });
 * ```
 */
export function localServices(
  options: LocalServicesOptions = {},
): Promise<LocalServices> {
  return started ??= start(options).catch((error) => {
    started = undefined;
    throw error;
  });
}

async function start(options: LocalServicesOptions): Promise<LocalServices> {
  const cli = new URL("../../cli.ts", import.meta.url);
  const args = ["run", "-A"];
  if (cli.protocol === "file:") {
    args.push("--config", new URL("../../deno.json", import.meta.url).pathname);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, cli.href, "services", "--json", "--until-stdin-closes"],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  if (!text.includes("\n")) {
    await child.status;
    throw new Error(
      "Cannot start local services: the helper exited before reporting them (see its output above)",
    );
  }
  lines.releaseLock();
  child.stdout.cancel().catch(() => {});
  const report = readServicesReport(text.slice(0, text.indexOf("\n")));
  child.unref();
  const stdin = child.stdin.getWriter();
  if (options.export ?? true) {
    for (const [name, value] of Object.entries(report.env)) {
      Deno.env.set(name, value);
    }
  }
  for (const service of report.services) recordService({ ...service });
  const env = { ...Deno.env.toObject(), ...report.env };
  return {
    postgres: postgresConfig(env),
    s3: s3Config(env),
    env: report.env,
    services: report.services,
    ...disposeOnce(async () => {
      if (!loaded) return;
      await stdin.close().catch(() => {});
      await child.status;
      started = undefined;
    }),
  };
}
