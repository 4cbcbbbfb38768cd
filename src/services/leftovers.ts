/**
 * What a test run left behind on a server: buckets, schemas and databases
 * beyond a fresh server's own.
 *
 * @module
 */

import type { S3Config } from "../s3_config.ts";
import { s3Client } from "../s3_config.ts";
import type { PostgresConfig } from "../postgres_config.ts";
import { loadPostgres, loadS3Sdk } from "../_lazy.ts";
import { postgresOptions } from "../_postgres_options.ts";

/**
 * Lists every bucket on an S3 store, as `bucket <name> (<n> objects)`.
 *
 * @param config The store.
 * @returns One line per bucket.
 *
 * @example
 * ```ts ignore
 * import { listBuckets, startS3rver } from "../../mod.ts";
 *
 * await using s3 = await startS3rver();
 * console.log(await listBuckets(s3.config)); // []
 * ```
 */
export async function listBuckets(config: S3Config): Promise<string[]> {
  const sdk = await loadS3Sdk();
  const client = await s3Client(config);
  try {
    const { Buckets = [] } = await client.send(new sdk.ListBucketsCommand({}));
    const lines: string[] = [];
    for (const bucket of Buckets) {
      const { Contents = [], IsTruncated } = await client.send(
        new sdk.ListObjectsCommand({ Bucket: bucket.Name!, MaxKeys: 1000 }),
      );
      lines.push(
        `bucket ${bucket.Name} (${Contents.length}${
          IsTruncated ? "+" : ""
        } objects)`,
      );
    }
    return lines;
  } finally {
    client.destroy();
  }
}

/**
 * Lists the databases and schemas a fresh server does not have, as
 * `database <name>` and `schema <database>.<name>`.
 *
 * @param config The server (any database; every database is visited).
 * @returns One line per leftover.
 *
 * @example
 * ```ts ignore
 * import { listPostgresLeftovers, startPostgresServer } from "../../mod.ts";
 *
 * await using pg = await startPostgresServer();
 * console.log(await listPostgresLeftovers(pg.config)); // []
 * ```
 */
export async function listPostgresLeftovers(
  config: PostgresConfig,
): Promise<string[]> {
  const postgres = await loadPostgres();
  const lines: string[] = [];
  const admin = postgres(postgresOptions(config, { max: 1 }));
  try {
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname not in ('template0', 'template1', ${config.database})
      order by datname`;
    const all = [config.database, ...databases.map((d) => d.datname)];
    for (const name of databases) lines.push(`database ${name.datname}`);
    for (const database of all) {
      const sql = postgres(
        postgresOptions({ ...config, database }, { max: 1 }),
      );
      try {
        const schemas = await sql<{ nspname: string }[]>`
          select nspname from pg_namespace
          where nspname not in ('public', 'information_schema')
            and nspname not like 'pg\\_%'
          order by nspname`;
        for (const s of schemas) lines.push(`schema ${database}.${s.nspname}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return lines;
}
