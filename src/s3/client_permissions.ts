/**
 * The permissions the AWS SDK v3 needs when the code under test builds its
 * own `S3Client` from partial config (endpoint and region, credentials given
 * or from `AWS_*` variables or `~/.aws`), measured with Deno's permission
 * audit log and `--no-prompt` runs.
 *
 * @module
 */

import { mergePermissions } from "../core/permissions.ts";
import { readEnv } from "../util/env.ts";

/**
 * Every variable an `S3Client` reads while it is built and sends its first
 * command. Without permission, some fail the call with `NotCapable`
 * (`AWS_PROFILE`, `HOME`, `AWS_EXECUTION_ENV`, …); the SDK swallows the
 * others and carries on as if they were unset (`AWS_REGION`,
 * `AWS_ACCESS_KEY_ID`: then "Region is missing").
 */
const AWS_SDK_VARS: readonly string[] = [
  "AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA",
  "AWS_LAMBDA_BENCHMARK_MODE",
  "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
  "AWS_DEFAULTS_MODE",
  "AWS_REGION",
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "HOME",
  "USERPROFILE",
  "HOMEPATH",
  "HOMEDRIVE",
  "AWS_S3_USE_ARN_REGION",
  "AWS_S3_DISABLE_EXPRESS_SESSION_AUTH",
  "AWS_USE_FIPS_ENDPOINT",
  "AWS_USE_DUALSTACK_ENDPOINT",
  "AWS_AUTH_SCHEME_PREFERENCE",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_CREDENTIAL_SCOPE",
  "AWS_ACCOUNT_ID",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EXECUTION_ENV",
  "AWS_MAX_ATTEMPTS",
  "AWS_RETRY_MODE",
  "AWS_SDK_UA_APP_ID",
  "AWS_LAMBDA_FUNCTION_NAME",
  "_X_AMZN_TRACE_ID",
  "AWS_LAMBDA_MAX_CONCURRENCY",
  "AWS_DISABLE_CLOCK_SKEW_CORRECTION",
];

/**
 * The AWS SDK preset: everything an `S3Client` built by the code under test
 * reads by itself. Merge it into the test's `permissions`; the network to the
 * endpoint comes from the bucket fixture (or add `net` yourself). The
 * instance metadata service (`169.254.169.254`) is never granted.
 *
 * It grants `env` for 32 variables (`AWS_REGION`, `AWS_PROFILE`,
 * `AWS_ACCESS_KEY_ID`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`,
 * `HOME`, `AWS_EXECUTION_ENV`, …), `sys` `osRelease` (for the user agent),
 * and `read` of the shared config and credentials files:
 * `$AWS_CONFIG_FILE` (else `$HOME/.aws/config`) and
 * `$AWS_SHARED_CREDENTIALS_FILE` (else `$HOME/.aws/credentials`), resolved
 * when this is called, from the process's environment (without prompting;
 * no `read` when they cannot be resolved).
 *
 * @param extra More permissions for the same test, merged with the preset by
 *   the rules of a test's `permissions` (lists are joined).
 * @returns The merged declaration, for `integration()`'s `permissions`.
 *
 * @example A test whose code under test builds its own S3Client
 * ```ts
 * import { s3ClientPermissions } from "../../s3.ts";
 *
 * // integration("…", { fixtures: { bucket: s3Bucket.fixture() }, permissions }, fn)
 * const permissions = s3ClientPermissions({ env: ["UPLOAD_BUCKET"] });
 * console.log(permissions); // { env: ["AWS_REGION", …, "UPLOAD_BUCKET"], read: [...], sys: ["osRelease"] }
 * ```
 */
export function s3ClientPermissions(
  extra: Deno.PermissionOptions = "none",
): Deno.PermissionOptions {
  const home = readEnv("HOME");
  const files = [
    readEnv("AWS_CONFIG_FILE") || (home && `${home}/.aws/config`),
    readEnv("AWS_SHARED_CREDENTIALS_FILE") ||
    (home && `${home}/.aws/credentials`),
  ].filter((file): file is string => typeof file === "string" && file !== "");
  return mergePermissions([
    { env: [...AWS_SDK_VARS], sys: ["osRelease"], read: files },
    extra,
  ]);
}
