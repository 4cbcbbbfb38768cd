/**
 * The S3 probe: is the endpoint reachable, and are the credentials accepted?
 *
 * @module
 */

import {
  cachedProbe,
  checkProbeOptions,
  type ProbeOptions,
  type ProbeResult,
  runProbe,
} from "../core/probe.ts";
import { loadS3Sdk, s3Client } from "./client.ts";
import { type S3Config, s3Config } from "./config.ts";
import { describe } from "../util/text.ts";

/**
 * Probes an S3-compatible endpoint with a `ListBuckets` call. Reasons tell
 * apart `connection refused 127.0.0.1:9000`, `timed out after N ms` and
 * `bad credentials (InvalidAccessKeyId: …)`. Cached per endpoint and key.
 *
 * @param config The settings; {@linkcode s3Config} from the environment by default.
 * @param options Timeout and signal.
 * @returns The result.
 *
 * @example
 * ```ts
 * import { probeS3, s3Config } from "../../s3.ts";
 *
 * const s3 = await probeS3(s3Config({ S3_ENDPOINT: "http://127.0.0.1:9" }), { timeout: 500 });
 * console.log(s3.ok, s3.reason);
 * ```
 */
export function probeS3(
  config: S3Config = s3Config(),
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const target = config.endpoint.href.replace(/\/$/, "");
  const hostPort = `${config.endpoint.hostname}:${
    config.endpoint.port || (config.endpoint.protocol === "https:" ? 443 : 80)
  }`;
  checkProbeOptions(`s3 ${target}`, options);
  return cachedProbe(
    `s3 ${target} ${config.accessKeyId} ${config.secretAccessKey} ${config.region}`,
    () =>
      runProbe("s3", target, async (signal) => {
        const { ListBucketsCommand } = await loadS3Sdk();
        const client = await s3Client(config);
        try {
          await client.send(new ListBucketsCommand({}), {
            abortSignal: signal,
          });
        } catch (error) {
          return s3Reason(error, hostPort);
        } finally {
          client.destroy();
        }
      }, options),
  );
}

const CREDENTIAL_ERRORS = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "InvalidSecurity",
]);

/** A short reason for an S3 SDK failure. */
export function s3Reason(error: unknown, hostPort: string): string {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.name && CREDENTIAL_ERRORS.has(e.name)) {
    return `bad credentials (${e.name}: ${e.message})`;
  }
  if (e?.name === "AccessDenied") return `access denied (${e.message})`;
  if (e?.code === "ECONNREFUSED" || /ECONNREFUSED/.test(e?.message ?? "")) {
    return `connection refused ${hostPort}`;
  }
  if (e?.code === "ECONNRESET") return `connection reset ${hostPort}`;
  const status = e?.$metadata?.httpStatusCode;
  if (status) return `HTTP ${status} (${e.name}: ${e.message})`;
  return `cannot reach ${hostPort}: ${describe(error)}`;
}
