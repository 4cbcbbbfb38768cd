// Internal: postgres.js's `ssl` option for a configuration's sslmode, with
// libpq's meaning: certificates checked against `sslrootcert` for verify-ca
// (and for require when one is given), and against the host connected to
// for verify-full.

import tls from "node:tls";
import type { PostgresConfig, PostgresSslMode } from "./config.ts";
import { POSTGRES_SSL_MODES } from "./_config_env.ts";
import { serverAddress } from "./_socket.ts";

/** What postgres.js's `ssl` option takes. */
export type SslOption = false | "prefer" | "require" | tls.ConnectionOptions;

/** Root certificate files read, by path (once per process). */
const rootCerts = new Map<string, string>();

/**
 * postgres.js's `ssl` option for `config`.
 *
 * @throws {TypeError} For an sslmode that is not one, a verify mode without
 *   `sslrootcert`, or an `sslrootcert` file that cannot be read.
 */
export function sslOption(config: PostgresConfig): SslOption {
  const mode: PostgresSslMode = config.sslmode ?? "prefer";
  const address = serverAddress(config);
  if (!POSTGRES_SSL_MODES.includes(mode)) {
    throw new TypeError(
      `Cannot connect to PostgreSQL at ${address}: sslmode ${
        JSON.stringify(mode)
      } is not an sslmode (expected ${POSTGRES_SSL_MODES.join(", ")})`,
    );
  }
  if (mode === "disable") return false;
  if (mode === "prefer") return "prefer";
  const root = config.sslrootcert;
  // As libpq: require with a root certificate checks it, as verify-ca.
  if (mode === "require" && root === undefined) return "require";
  if (root === undefined) {
    throw new TypeError(
      `Cannot connect to PostgreSQL at ${address}: sslmode "${mode}" needs sslrootcert (a PEM file of the certificates that sign the server's, or "system")`,
    );
  }
  const options: tls.ConnectionOptions = { rejectUnauthorized: true };
  if (root !== "system") options.ca = readRootCert(root, address);
  if (mode === "verify-full") {
    const host = config.host;
    // Against the configured host: for an address, postgres.js sends no
    // server name, and Node's check would then compare with "localhost".
    options.checkServerIdentity = (_name, cert) => {
      const mismatch = tls.checkServerIdentity(host, cert);
      if (mismatch === undefined) return undefined;
      return Object.assign(
        new Error(
          `Cannot connect to PostgreSQL at ${address}: its certificate is not for ${
            JSON.stringify(host)
          } (sslmode=verify-full; ${mismatch.message})`,
        ),
        { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
      );
    };
  } else {
    options.checkServerIdentity = () => undefined;
  }
  return options;
}

function readRootCert(path: string, address: string): string {
  let pem = rootCerts.get(path);
  if (pem === undefined) {
    try {
      pem = Deno.readTextFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      throw new TypeError(
        `Cannot connect to PostgreSQL at ${address}: sslrootcert ${
          JSON.stringify(path)
        } cannot be read (${
          (error as Error).message
        }; expected a PEM file of the certificates that sign the server's)`,
        { cause: error },
      );
    }
    rootCerts.set(path, pem);
  }
  return pem;
}

/**
 * A short reason for a TLS failure of a connection to `config`'s server, or
 * `undefined` when `error` is not one.
 */
export function tlsReason(
  config: PostgresConfig,
  error: unknown,
): string | undefined {
  const e = error as { code?: string; message?: string };
  const message = e?.message ?? "";
  const mode = config.sslmode ?? "prefer";
  const ours = `Cannot connect to PostgreSQL at ${serverAddress(config)}: `;
  if (message.startsWith(ours)) return message.slice(ours.length);
  if (
    typeof e?.code === "string" &&
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO/.test(e.code)
  ) {
    return `its certificate is not trusted (sslmode=${mode}, sslrootcert=${
      JSON.stringify(config.sslrootcert)
    }: ${message})`;
  }
  return undefined;
}
