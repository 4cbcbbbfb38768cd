/**
 * An S3-compatible server for tests: `s3rver` (npm), in-process, on
 * 127.0.0.1, a free port and a temp dir. It is not MinIO: it has no
 * versioning and no multipart-upload listing.
 *
 * @module
 */

import type { ServerHandle } from "../run/server_handle.ts";
import type { S3Config } from "./config.ts";
import { disposeOnce } from "../util/dispose_once.ts";

/** Options of {@linkcode startS3rver}. */
export interface S3rverOptions {
  /**
   * The access key id it accepts.
   *
   * @default {"minioadmin"}
   */
  accessKeyId?: string;
  /**
   * The secret key it accepts.
   *
   * @default {"minioadmin"}
   */
  secretAccessKey?: string;
}

/**
 * A running s3rver; `env` holds `S3_ENDPOINT`, `S3_ACCESS_KEY`,
 * `S3_SECRET_KEY` and `S3_REGION`.
 */
export type S3rverServer = ServerHandle<S3Config, "s3rver">;

/**
 * Starts s3rver on 127.0.0.1 and a free port, accepting one key pair.
 *
 * @param options The key pair.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { startS3rver } from "../../services.ts";
 *
 * await using s3 = await startS3rver();
 * console.log(s3.env.S3_ENDPOINT);
 * ```
 */
export async function startS3rver(
  options: S3rverOptions = {},
): Promise<S3rverServer> {
  const accessKeyId = options.accessKeyId ?? "minioadmin";
  const secretAccessKey = options.secretAccessKey ?? "minioadmin";
  const [{ default: S3rver }, account] = await Promise.all([
    import("npm:s3rver@^3.7.1"),
    import("npm:s3rver@^3.7.1/lib/models/account.js"),
  ]);
  account.default.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const dir = await Deno.makeTempDir({ prefix: "itkit-s3rver-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`Cannot start s3rver: ${error}`, { cause: error });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    origin: "s3rver",
    config: {
      endpoint: new URL(endpoint),
      accessKeyId,
      secretAccessKey,
      region: "us-east-1",
    },
    env: {
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY: accessKeyId,
      S3_SECRET_KEY: secretAccessKey,
      S3_REGION: "us-east-1",
    },
    ...disposeOnce(async () => {
      await server.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }),
  };
}
