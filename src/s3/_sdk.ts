// Internal: the AWS SDK, loaded on first use only, and the client every S3
// client of the toolkit is (client.ts's `s3Client()`, the probe's): one that
// reads nothing but its config.

import type * as S3Sdk from "npm:@aws-sdk/client-s3@^3.1175.0";
import type { S3Config } from "./config.ts";
import {
  addStoreEndpoint,
  TOOLKIT_CLIENT_HEADER,
  TOOLKIT_CLIENT_TOKEN,
} from "../util/service_endpoints.ts";

let sdk: Promise<typeof S3Sdk> | undefined;

/** The AWS SDK's S3 client module, loaded once. */
export function loadS3Sdk(): Promise<typeof S3Sdk> {
  return sdk ??= import("npm:@aws-sdk/client-s3@^3.1175.0");
}

/**
 * Creates an S3 client for `config` (client.ts's `s3Client()`, which makes
 * three attempts), with a chosen number of attempts: probes make one, so
 * that a refused connection is reported at once.
 *
 * @param config The S3 settings.
 * @param maxAttempts Attempts per request, retries included.
 * @returns The client.
 */
export async function createS3Client(
  config: S3Config,
  maxAttempts: number,
): Promise<S3Sdk.S3Client> {
  const { S3Client } = await loadS3Sdk();
  const client = new S3Client({
    endpoint: config.endpoint.href.replace(/\/$/, ""),
    region: config.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
    },
    maxAttempts,
    retryMode: "standard",
    defaultsMode: "standard",
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    useArnRegion: false,
    disableS3ExpressSessionAuth: true,
    disableClockSkewCorrection: false,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    authSchemePreference: [],
    sigv4aSigningRegionSet: [],
    userAgentAppId: "itkit",
    defaultUserAgentProvider: () => Promise.resolve([["itkit"]]),
  });
  // A fetch mock lets this client's requests out, before any route, and
  // while it lives, an unanswered request of the test's own to the store
  // (util/service_endpoints.ts).
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) {
        request.headers[TOOLKIT_CLIENT_HEADER] = TOOLKIT_CLIENT_TOKEN;
      }
      return next(args);
    },
    { step: "build", name: "itkitToolkitClient" },
  );
  const unregister = addStoreEndpoint(config.endpoint);
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    unregister();
    destroy();
  };
  return client;
}
