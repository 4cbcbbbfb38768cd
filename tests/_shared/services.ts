// The services `deno task test` provides (cli.ts run): configurations and
// admin clients that inspect them from outside the fixtures.
import { type PostgresConfig, postgresConfig } from "../../postgres.ts";
import { s3Client, type S3Config, s3Config } from "../../s3.ts";
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import postgres from "postgres";

/** The S3 store of this run. */
export const S3: S3Config = s3Config();
/** The PostgreSQL server of this run. */
export const PG: PostgresConfig = postgresConfig();

/**
 * Whether the run's store is a real S3 engine (Ceph RGW, MinIO, AWS): one
 * that rejects a wrong signature, keeps versions and lists multipart
 * uploads. s3rver does none of these.
 */
export async function isRealS3(): Promise<boolean> {
  const client = await s3Client({ ...S3, secretAccessKey: "not-the-secret" });
  try {
    await client.send(new ListBucketsCommand({}));
    return false;
  } catch (error) {
    if ((error as Error).name === "SignatureDoesNotMatch") return true;
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * `ignore` for a test that needs a real S3 engine: true on s3rver, except in
 * the RGW pass (`ITKIT_S3=ceph`), where such a test must run (and fails if
 * the store is not real after all).
 */
export async function ignoreWithoutRealS3(): Promise<boolean> {
  if (Deno.env.get("ITKIT_S3") === "ceph") return false;
  return !(await isRealS3());
}

/** Names of every bucket on the store. */
export async function bucketNames(s3: S3Config = S3): Promise<string[]> {
  const client = await s3Client(s3);
  try {
    const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
    return Buckets.map((b) => b.Name!);
  } finally {
    client.destroy();
  }
}

/**
 * Removes a bucket a test knowingly left (its objects, then it): e.g. the
 * lease of a run whose reaper the test killed.
 */
export async function removeBucket(
  name: string,
  s3: S3Config = S3,
): Promise<void> {
  const client = await s3Client(s3);
  try {
    const { Contents = [] } = await client.send(
      new ListObjectsV2Command({ Bucket: name }),
    );
    for (const { Key } of Contents) {
      await client.send(new DeleteObjectCommand({ Bucket: name, Key }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

/** Runs `fn` with a superuser connection to the server, then closes it. */
export async function withAdmin<T>(
  fn: (sql: postgres.Sql) => Promise<T>,
  database?: string,
  pg: PostgresConfig = PG,
): Promise<T> {
  const sql = postgres({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    pass: pg.password,
    database: database ?? pg.database,
    max: 1,
    onnotice: () => {},
  });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Ends a server backend, as a crash or a DBA would, and returns once the
 * client (in this process) has closed its end of that connection: it has
 * read the server's close, so its next query knows the connection is gone.
 */
export async function terminateBackend(
  pid: number,
  pg: PostgresConfig = PG,
): Promise<void> {
  const [row] = await withAdmin(
    (sql) =>
      sql<{ gone: boolean; port: number }[]>`
      select client_port as port, pg_terminate_backend(pid, 30000) as gone
      from pg_stat_activity where pid = ${pid}`,
    undefined,
    pg,
  );
  if (!row?.gone) throw new Error(`backend ${pid} did not end in 30 s`);
  // The client closes its socket when its event loop reads the server's
  // FIN: at once, on a turn of this loop. 10 s only bounds a client that
  // never does.
  const until = Date.now() + 10_000;
  while (await clientSocketOpen(row.port)) {
    if (Date.now() > until) {
      throw new Error(`the client kept its connection from port ${row.port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether this host has a TCP socket from local `port` not yet closed. */
async function clientSocketOpen(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await Deno.readTextFile(table).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      // 01 ESTABLISHED, 08 CLOSE_WAIT (the server closed, the client not yet).
      if (local?.endsWith(`:${hex}`) && (state === "01" || state === "08")) {
        return true;
      }
    }
  }
  return false;
}

/** Names of databases and schemas whose names start with `itkit`. */
export function itkitObjects(pg: PostgresConfig = PG): Promise<string[]> {
  return withAdmin(
    async (sql) => {
      const dbs = await sql<{ name: string }[]>`
      select 'database ' || datname as name from pg_database where datname like 'itkit%'
      union all
      select 'schema ' || nspname from pg_namespace where nspname like 'itkit%'
      order by 1`;
      return dbs.map((r) => r.name);
    },
    undefined,
    pg,
  );
}

/**
 * What of the server's `itkit` databases and schemas is new since `before`
 * (an earlier {@linkcode itkitObjects}), once the helpers that drop them had
 * up to 10 s to do so.
 */
export async function itkitObjectsSince(before: string[]): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 40; i++) {
    left = (await itkitObjects()).filter((o) => !before.includes(o));
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return left;
}
