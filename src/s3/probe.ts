/**
 * The S3 probe: is the endpoint reachable, and are the credentials accepted?
 *
 * @module
 */

import type { ProbeOptions, ProbeResult } from "../core/probe.ts";
import { cachedProbe, checkProbeOptions, runProbe } from "../core/_probe.ts";
import { createS3Client, loadS3Sdk } from "./_sdk.ts";
import { type S3Config, s3Config } from "./config.ts";
import { fingerprint, maskUrl } from "../util/text.ts";
import { s3Reason } from "./_reason.ts";

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
