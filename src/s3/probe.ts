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
import { createS3Client, loadS3Sdk } from "./client.ts";
import { type S3Config, s3Config } from "./config.ts";
import { describe, fingerprint, maskUrl } from "../util/text.ts";

/**
 * Probes an S3-compatible endpoint with a `ListBuckets` call. The budget
 * covers the network, not loading the AWS SDK. Reasons tell apart
 * `connection refused 127.0.0.1:9000`, `timed out after N ms` and
 * `bad credentials (InvalidAccessKeyId: unknown access key id "…")`. Cached
 * per endpoint and key.
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
  // Masked: the result and every message show it.
  const target = maskUrl(config.endpoint.href.replace(/\/$/, ""));
  const hostPort = `${config.endpoint.hostname}:${
    config.endpoint.port || (config.endpoint.protocol === "https:" ? 443 : 80)
  }`;
  checkProbeOptions(`s3 ${target}`, options);
  return cachedProbe(
    // Another key is another probe; the key holds the secrets' fingerprint.
    `s3 ${target} ${config.accessKeyId} ${config.region} ${
      fingerprint(`${config.endpoint.href} ${config.secretAccessKey}`)
    }`,
    async () => {
      // Loading the AWS SDK (seconds on a cold cache) is not the store's
      // time: outside the budget, so a store that answers is never "timed out".
      const { ListBucketsCommand } = await loadS3Sdk();
      return await runProbe("s3", target, async (signal) => {
        const client = await createS3Client(config, 1);
        try {
          await client.send(new ListBucketsCommand({}), {
            abortSignal: signal,
          });
        } catch (error) {
          return s3Reason(error, hostPort, config.accessKeyId);
        } finally {
          client.destroy();
        }
      }, options);
    },
    `s3 ${target}`,
  );
}

const CREDENTIAL_ERRORS = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "InvalidSecurity",
]);

/**
 * A short reason for an S3 SDK failure. The two credential errors are told
 * from their code, naming the key: some servers (Ceph RGW) send no message.
 *
 * @param error What the SDK threw.
 * @param hostPort The endpoint's `host:port`, for connection errors.
 * @param accessKeyId The access key id the request was signed with.
 * @returns E.g. `bad credentials (InvalidAccessKeyId: unknown access key id "AKIA…")`.
 */
export function s3Reason(
  error: unknown,
  hostPort: string,
  accessKeyId?: string,
): string {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const key = JSON.stringify(accessKeyId ?? "");
  if (e?.name === "InvalidAccessKeyId") {
    return `bad credentials (InvalidAccessKeyId: unknown access key id ${key})`;
  }
  if (e?.name === "SignatureDoesNotMatch") {
    return `bad credentials (SignatureDoesNotMatch: the secret key does not match the access key ${key})`;
  }
  // The SDK's message when the response had none.
  const message = e?.message && e.message !== "UnknownError"
    ? `: ${e.message}`
    : "";
  if (e?.name && CREDENTIAL_ERRORS.has(e.name)) {
    return `bad credentials (${e.name}${message})`;
  }
  if (e?.name === "AccessDenied") {
    return `access denied${message ? ` (${message.slice(2)})` : ""}`;
  }
  if (e?.code === "ECONNREFUSED" || /ECONNREFUSED/.test(e?.message ?? "")) {
    return `connection refused ${hostPort}`;
  }
  if (e?.code === "ECONNRESET") return `connection reset ${hostPort}`;
  const status = e?.$metadata?.httpStatusCode;
  if (status) return `HTTP ${status} (${e.name}${message})`;
  return `cannot reach ${hostPort}: ${describe(error)}`;
}
