/**
 * The S3 client: the AWS SDK loaded on first use only (importing the module
 * never loads it), and a client built so that it reads nothing but its
 * config.
 *
 * @module
 */

import type { S3Config } from "./config.ts";
import { createS3Client } from "./_sdk.ts";

/**
 * What an AWS SDK v3 command looks like to {@linkcode S3ClientLike.send}: any
 * `new XxxCommand(input)` from `npm:@aws-sdk/client-s3` fits, and its output
 * type is inferred.
 */
export interface S3Command<Output> {
  /**
   * The SDK's middleware entry point; only its output type matters here.
   *
   * @param stack The client's middleware stack.
   * @param configuration The client's configuration.
   * @param options Per-call options.
   * @returns The handler that sends the command.
   */
  resolveMiddleware(
    stack: never,
    configuration: never,
    options: never,
  ): (args: never) => Promise<{ output: Output }>;
}

/**
 * The part of the AWS SDK v3 `S3Client` the toolkit hands out, typed without
 * pulling the SDK's whole type graph into this module's public API. The
 * object is a real `S3Client`: cast it (`client as S3Client`) for the rest.
 */
export interface S3ClientLike {
  /**
   * Sends a command.
   *
   * @param command E.g. `new PutObjectCommand({ Bucket, Key, Body })`.
   * @param options An abort signal.
   * @returns The command's output.
   */
  send<Output>(
    command: S3Command<Output>,
    options?: { abortSignal?: AbortSignal },
  ): Promise<Output>;
  /** Closes the client's connections. */
  destroy(): void;
}

/**
 * Creates an S3 client for `config`: path-style addressing, the SDK's
 * standard retries (three attempts: a keep-alive connection the server closed
 * just as a request went out fails with `socket hang up` and is retried), and
 * every setting the SDK would otherwise look up in `~/.aws` or the
 * environment given explicitly, so it reads no files and needs no more than
 * {@linkcode s3Permissions}. Call `destroy()` when done.
 *
 * @param config The S3 settings.
 * @returns The client.
 *
 * @example
 * ```ts
 * import { s3Client, s3Config } from "../../s3.ts";
 *
 * const client = await s3Client(s3Config());
 * client.destroy();
 * ```
 */
export function s3Client(config: S3Config): Promise<S3ClientLike> {
  return createS3Client(config, 3);
}
