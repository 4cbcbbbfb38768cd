// Internal: the heavy npm dependencies are loaded on first use only, so that
// importing mod.ts never loads the AWS SDK or postgres.js.

import type * as S3Sdk from "@aws-sdk/client-s3";
import type PostgresFactory from "postgres";

let s3: Promise<typeof S3Sdk> | undefined;
let pg: Promise<typeof PostgresFactory> | undefined;

/** The AWS SDK's S3 client module, loaded once. */
export function loadS3Sdk(): Promise<typeof S3Sdk> {
  return s3 ??= import("@aws-sdk/client-s3");
}

/** postgres.js's factory, loaded once. */
export function loadPostgres(): Promise<typeof PostgresFactory> {
  return pg ??= import("postgres").then((m) => m.default);
}
