/**
 * S3 connection settings from the environment, and an S3 client that reads
 * nothing else (no shared config files, no other variables).
 *
 * @module
 */

import { readEnv } from "../util/env.ts";
import { maskUrl } from "../util/text.ts";
import { maskFields } from "../util/masked_inspect.ts";
import { S3_ENV_DEFAULTS } from "./_config_env.ts";

/** Where and how to reach an S3-compatible store. */
export interface S3Config {
  /**
   * The endpoint, e.g. `http://localhost:9000`, as a `URL`. Interpolating it
   * (or its `href`) gives `http://localhost:9000/`, with a trailing slash:
   * use `endpoint.origin` for the string an SDK or a URL template expects.
   */
  endpoint: URL;
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The region. */
  region: string;
}

/**
 * The environment variables the AWS SDK reads by itself even with every
 * option given explicitly (a Node-version warning switch and Lambda
 * recursion-detection variables). An S3 fixture's test is granted exactly
 * these, besides the network to its endpoint.
 */
const AWS_SDK_ENV_READS: readonly string[] = [
  "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_MAX_CONCURRENCY",
  "_X_AMZN_TRACE_ID",
];

/**
 * Reads S3 settings from `S3_ENDPOINT`, `S3_ACCESS_KEY`, `S3_SECRET_KEY` and
 * `S3_REGION`, with MinIO's local defaults. Variables the process may not
 * read count as unset (the toolkit never prompts).
 *
 * @param env Where to read from; the process environment by default.
 * @returns The validated settings; printing them (`console.log`,
 *   `Deno.inspect`) shows the secret key as `***`.
 * @throws {TypeError} Naming the variable, its value (secrets masked) and the
 *   expected form, when one is malformed.
 *
 * @example
 * ```ts
 * import { s3Config } from "../../s3.ts";
 *
 * const config = s3Config({ S3_ENDPOINT: "http://127.0.0.1:9000" });
 * console.log(config.endpoint.host, config.region); // 127.0.0.1:9000 us-east-1
 * ```
 */
export function s3Config(
  env: Record<string, string | undefined> = processEnv(),
): S3Config {
  const get = (name: string): string => {
    const value = env[name];
    return value === undefined || value === ""
      ? S3_ENV_DEFAULTS[name] ?? ""
      : value;
  };
  const raw = get("S3_ENDPOINT");
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(raw);
  } catch { /* reported below */ }
  // Credentials, even where they keep it from parsing (an unencoded `/` or
  // `#` in the secret): shown masked, with where they belong.
  if (
    hasUserinfo(raw) ||
    (endpoint && (endpoint.username !== "" || endpoint.password !== ""))
  ) {
    throw new TypeError(
      `Cannot configure S3: S3_ENDPOINT ${
        JSON.stringify(maskUrl(raw))
      } has credentials in it (expected http://host:port; put the keys in S3_ACCESS_KEY and S3_SECRET_KEY)`,
    );
  }
  if (
    !endpoint ||
    (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") ||
    endpoint.hostname === "" ||
    (endpoint.pathname !== "/" && endpoint.pathname !== "") ||
    endpoint.search !== "" || endpoint.username !== ""
  ) {
    throw new TypeError(
      `Cannot configure S3: S3_ENDPOINT ${
        JSON.stringify(maskUrl(raw))
      } is not an endpoint URL (expected http://host:port, e.g. http://localhost:9000)`,
    );
  }
  const accessKeyId = get("S3_ACCESS_KEY");
  if (/\s/.test(accessKeyId)) {
    throw new TypeError(
      `Cannot configure S3: S3_ACCESS_KEY ${
        JSON.stringify(accessKeyId)
      } contains white space (expected an access key id such as minioadmin)`,
    );
  }
  const secretAccessKey = get("S3_SECRET_KEY");
  if (/\s/.test(secretAccessKey)) {
    throw new TypeError(
      'Cannot configure S3: S3_SECRET_KEY "***" contains white space (expected a secret key such as minioadmin)',
    );
  }
  const region = get("S3_REGION");
  if (!/^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$/.test(region)) {
    throw new TypeError(
      `Cannot configure S3: S3_REGION ${
        JSON.stringify(region)
      } is not a region (expected a name such as us-east-1)`,
    );
  }
  // Printed (console.log, Deno.inspect) with the secret key masked.
  return maskFields({ endpoint, accessKeyId, secretAccessKey, region }, [
    "secretAccessKey",
  ]);
}

/** Whether `raw` has a `user@` or `user:secret@` before its host. */
function hasUserinfo(raw: string): boolean {
  const start = raw.indexOf("//");
  return start !== -1 && raw.lastIndexOf("@") > start;
}

/**
 * The permissions a test needs to use `config` through {@linkcode s3Client}:
 * the network to the endpoint and the variables the AWS SDK reads.
 *
 * @param config The S3 settings.
 * @returns The permission declaration.
 *
 * @example
 * ```ts
 * import { s3Config, s3Permissions } from "../../s3.ts";
 *
 * console.log(s3Permissions(s3Config({ S3_ENDPOINT: "http://127.0.0.1:9000" })).net);
 * // ["127.0.0.1:9000"]
 * ```
 */
export function s3Permissions(config: S3Config): Deno.PermissionOptionsObject {
  const port = config.endpoint.port ||
    (config.endpoint.protocol === "https:" ? "443" : "80");
  return {
    net: [`${config.endpoint.hostname}:${port}`],
    env: [...AWS_SDK_ENV_READS],
  };
}

function processEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(S3_ENV_DEFAULTS)) env[name] = readEnv(name);
  return env;
}
