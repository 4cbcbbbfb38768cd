/**
 * Local services for a test run: use what the environment configures, else
 * start throwaway ones (PostgreSQL from the native binaries, s3rver).
 *
 * @module
 */

import { maskUrl } from "../util/text.ts";
import { readEnv } from "../util/env.ts";
import {
  findPostgresBinaries,
  type PostgresServer,
  startPostgresServer,
} from "../postgres/server.ts";
import { type PgliteServer, startPglite } from "../postgres/pglite_server.ts";
import { startS3rver } from "../s3/s3rver_server.ts";
import { startRgw } from "../s3/rgw_server.ts";
import { parseS3Engine, s3Engine } from "../run/settings.ts";
import type { ServiceOrigin } from "../run/summary.ts";
import { disposeOnce } from "../util/dispose_once.ts";

/** A service the run uses. */
export interface ProvisionedService {
  /** `postgres` or `s3`. */
  readonly kind: "postgres" | "s3";
  /** Where it came from. */
  readonly origin: ServiceOrigin;
  /** Its address, password masked. */
  readonly address: string;
}

/** Options of {@linkcode provisionServices}. */
export interface ProvisionOptions {
  /**
   * Which services to provide.
   *
   * @default {["postgres", "s3"]}
   */
  services?: ("postgres" | "s3")[];
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
  const env = options.env ?? {
    DATABASE_URL: readEnv("DATABASE_URL"),
    S3_ENDPOINT: readEnv("S3_ENDPOINT"),
  };
  const engine = options.s3 ??
    (options.env ? parseS3Engine(options.env.ITKIT_S3) : s3Engine());
  const stack = new AsyncDisposableStack();
  const exported: Record<string, string> = {};
  const services: ProvisionedService[] = [];
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
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
  const moved = stack.move();
  return {
    env: exported,
    services,
    ...disposeOnce(() => moved.disposeAsync()),
  };
}
