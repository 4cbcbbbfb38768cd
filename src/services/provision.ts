/**
 * Local services for a test run: use what the environment configures, else
 * start throwaway ones (PostgreSQL from the native binaries, s3rver).
 *
 * @module
 */

import { maskUrl } from "../util/text.ts";
import { readEnv } from "../util/env.ts";
import {
  type PostgresServer,
  startPostgresServer,
} from "../postgres/server.ts";
import { findPostgresBinaries } from "../postgres/_binaries.ts";
import { type PgliteServer, startPglite } from "../postgres/pglite_server.ts";
import { startS3rver } from "../s3/s3rver_server.ts";
import { startRgw } from "../s3/rgw_server.ts";
import { parseS3Engine, s3Engine } from "../run/settings.ts";
import type { ServiceOrigin } from "../run/server_handle.ts";
import { disposeOnce } from "../util/dispose_once.ts";
import { serviceDefinition } from "../service/registry.ts";
import { findProgram, startServer } from "../service/_launch.ts";
import { tcpCheck } from "../service/_tcp_check.ts";

/**
 * A service you defined (`defineService()`, `@itkit/core/redis`), as
 * provisioning, the sweep and the permissions take it.
 */
export interface ServiceLike {
  /** Its name. */
  readonly kind: string;
  /** The variable that holds its URL. */
  readonly env: string;
  /**
   * Its URL, from its variable.
   *
   * @param env Where to read the variable.
   * @returns It, or `undefined` when the variable is not set.
   */
  url(env?: Record<string, string | undefined>): URL | undefined;
}

/** A service the run uses. */
export interface ProvisionedService {
  /** `postgres`, `s3`, or a service's name (`redis`). */
  readonly kind: string;
  /** Where it came from. */
  readonly origin: ServiceOrigin;
  /** Its address, password masked. */
  readonly address: string;
}

/** Options of {@linkcode provisionServices}. */
export interface ProvisionOptions {
  /**
   * Which services to provide: PostgreSQL, S3, and services you defined
   * (started from their definition's `start` when their variable is not
   * set and their program is installed; else left out, with the reason in
   * `skipped`).
   *
   * @default {["postgres", "s3"]}
   */
  services?: ("postgres" | "s3" | ServiceLike)[];
  /**
   * The environment to read `DATABASE_URL`, `S3_ENDPOINT` and `ITKIT_S3`
   * from; a configured endpoint always wins over provisioning.
   *
   * @default {the process environment}
   */
  env?: Record<string, string | undefined>;
  /**
   * Which S3 server to start when `S3_ENDPOINT` is not set: `s3rver`
   * (in-process, starts in milliseconds, no versioning and no signature
   * checks) or `ceph` (a throwaway Ceph RADOS Gateway: real S3, about 2 s
   * to start; needs Debian's ceph-mon, ceph-osd, radosgw and ceph-common).
   *
   * @default {ITKIT_S3 from `env` or the process environment, else "s3rver"}
   */
  s3?: "s3rver" | "ceph";
}

/** Running services and the variables that point at them. */
export interface ProvisionedServices extends AsyncDisposable {
  /** Variables to export to the tests (`DATABASE_URL`, `S3_*`); empty for configured services. */
  readonly env: Readonly<Record<string, string>>;
  /** Each service and where it came from. */
  readonly services: readonly ProvisionedService[];
  /** Services asked for but neither configured nor started, and why. */
  readonly skipped: readonly { kind: string; reason: string }[];
  /** Stops what was started. Idempotent. */
  close(): Promise<void>;
}

/**
 * Provides PostgreSQL and S3 for a run: a configured `DATABASE_URL` /
 * `S3_ENDPOINT` is used as is and nothing is started for it; otherwise a
 * throwaway server is started on loopback: PostgreSQL from the native
 * binaries when found (else embedded PGlite), and s3rver (or, with
 * `ITKIT_S3=ceph`, a Ceph RADOS Gateway).
 *
 * @param options Which services, and the environment.
 * @returns The services; dispose to stop what was started.
 *
 * @example
 * ```ts ignore
 * import { provisionServices } from "../../services.ts";
 *
 * await using services = await provisionServices();
 * console.log(services.env); // { DATABASE_URL: "postgres://...", S3_ENDPOINT: "http://127.0.0.1:..." , ... }
 * ```
 */
export async function provisionServices(
  options: ProvisionOptions = {},
): Promise<ProvisionedServices> {
  const wanted = options.services ?? ["postgres", "s3"];
  for (const entry of wanted) {
    if (typeof entry !== "string") {
      serviceDefinition(entry, "Cannot provision services");
    }
  }
  const env = options.env ?? {
    DATABASE_URL: readEnv("DATABASE_URL"),
    S3_ENDPOINT: readEnv("S3_ENDPOINT"),
  };
  const engine = options.s3 ??
    (options.env ? parseS3Engine(options.env.ITKIT_S3) : s3Engine());
  const stack = new AsyncDisposableStack();
  const exported: Record<string, string> = {};
  const services: ProvisionedService[] = [];
  const skipped: { kind: string; reason: string }[] = [];
  try {
    if (wanted.includes("postgres")) {
      if (env.DATABASE_URL) {
        services.push({
          kind: "postgres",
          origin: "configured",
          address: maskUrl(env.DATABASE_URL),
        });
      } else {
        // Native binaries when there are any, else embedded PGlite.
        const pg: PostgresServer | PgliteServer = stack.use(
          await findPostgresBinaries()
            ? await startPostgresServer()
            : await startPglite(),
        );
        Object.assign(exported, pg.env);
        services.push({
          kind: "postgres",
          origin: pg.origin,
          address: `${pg.config.host}:${pg.config.port}`,
        });
      }
    }
    if (wanted.includes("s3")) {
      if (env.S3_ENDPOINT) {
        services.push({
          kind: "s3",
          origin: "configured",
          address: env.S3_ENDPOINT,
        });
      } else {
        const s3 = stack.use(
          engine === "ceph" ? await startRgw() : await startS3rver(),
        );
        Object.assign(exported, s3.env);
        services.push({
          kind: "s3",
          origin: s3.origin,
          address: s3.env.S3_ENDPOINT ?? s3.config.endpoint.href,
        });
      }
    }
    for (const wanted_ of wanted) {
      if (typeof wanted_ === "string") continue;
      const def = serviceDefinition(wanted_, "Cannot provision services");
      const value = options.env ? options.env[def.env] : readEnv(def.env);
      if (value) {
        services.push({
          kind: def.name,
          origin: "configured",
          address: maskUrl(value),
        });
        continue;
      }
      const program = def.start?.command[0];
      if (!def.start || program === undefined) {
        skipped.push({
          kind: def.name,
          reason: `${def.env} is not set and its definition has no \`start\``,
        });
        continue;
      }
      if (await findProgram(program) === undefined) {
        skipped.push({
          kind: def.name,
          reason:
            `${def.env} is not set and ${program} is not installed (not found on PATH)`,
        });
        continue;
      }
      const server = stack.use(
        await startServer(
          def.name,
          def.env,
          def.start,
          def.probe ??
            ((url, signal) => tcpCheck(url, signal, def.defaultPort)),
          // Stopped here, however the run ends.
          { reaper: false },
        ),
      );
      Object.assign(exported, server.env);
      services.push({
        kind: def.name,
        origin: server.origin,
        address: maskUrl(server.url),
      });
    }
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
  const moved = stack.move();
  return {
    env: exported,
    services,
    skipped,
    ...disposeOnce(() => moved.disposeAsync()),
  };
}
