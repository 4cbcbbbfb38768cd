// Internal: the names postgresConfig() (config.ts) reads, for config.ts, the
// TLS option (_tls.ts) and the process permissions (services/).

/** The variables `postgresConfig()` reads. */
export const POSTGRES_ENV_VARS: readonly string[] = [
  "DATABASE_URL",
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGPASSWORD",
  "PGDATABASE",
  "PGSSLMODE",
  "PGSSLROOTCERT",
  "USER",
  "LOGNAME",
];

/** The values of `PostgresSslMode` (config.ts), weakest first. */
export const POSTGRES_SSL_MODES: readonly string[] = [
  "disable",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
];
