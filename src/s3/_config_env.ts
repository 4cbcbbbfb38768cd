// Internal: the variables s3Config() (config.ts) reads, with their defaults,
// for config.ts and the process permissions (services/).

/** The variables `s3Config()` reads, with their defaults. */
export const S3_ENV_DEFAULTS: Readonly<Record<string, string>> = {
  S3_ENDPOINT: "http://localhost:9000",
  S3_ACCESS_KEY: "minioadmin",
  S3_SECRET_KEY: "minioadmin",
  S3_REGION: "us-east-1",
};
