// Internal: the probe's short reason for what the AWS SDK threw.

import { describe } from "../util/text.ts";

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
