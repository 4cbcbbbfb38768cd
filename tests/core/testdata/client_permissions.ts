// Code under test that builds its own postgres.js pool or S3Client, with and
// without the presets; and a permission no preset covers.
import {
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import postgres from "postgres";
import { env, integration } from "../../../mod.ts";
import {
  postgresClientPermissions,
  postgresConfig,
  postgresPermissions,
  postgresUrl,
} from "../../../postgres.ts";
import { s3Bucket, s3ClientPermissions } from "../../../s3.ts";

const pg = postgresConfig();
const url = postgresUrl(pg, true);
const pgNet = { net: postgresPermissions(pg).net! };

/** The code under test: opens its own pool from a URL. */
async function countOne(): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ one: number }[]>`select 1 as one`;
    return row!.one;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

integration("own postgres.js pool without the preset", {
  permissions: pgNet,
}, async () => {
  await countOne();
});

integration("own postgres.js pool with the preset", {
  permissions: postgresClientPermissions(pgNet),
}, async () => {
  if (await countOne() !== 1) throw new Error("select 1 did not return 1");
});

/** The code under test: builds its own client from part of the config. */
async function listKeys(
  config: S3ClientConfig,
  bucket: string,
): Promise<number> {
  const client = new S3Client(config);
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return out.KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}

integration("own S3Client without the preset", {
  fixtures: { bucket: s3Bucket.fixture() },
}, async (_t, { bucket }) => {
  await listKeys({
    endpoint: bucket.config.endpoint.origin,
    region: bucket.config.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: bucket.config.accessKeyId,
      secretAccessKey: bucket.config.secretAccessKey,
    },
  }, bucket.name);
});

integration("own S3Client with the preset", {
  fixtures: { bucket: s3Bucket.fixture() },
  permissions: s3ClientPermissions(),
}, async (_t, { bucket }) => {
  const keys = await listKeys({
    endpoint: bucket.config.endpoint.origin,
    region: bucket.config.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: bucket.config.accessKeyId,
      secretAccessKey: bucket.config.secretAccessKey,
    },
  }, bucket.name);
  if (keys !== 0) throw new Error(`expected an empty bucket, got ${keys}`);
});

integration("own S3Client configured by AWS_* variables, with the preset", {
  fixtures: {
    bucket: s3Bucket.fixture(),
    vars: env.fixture({
      vars: {
        AWS_REGION: Deno.env.get("S3_REGION") ?? "us-east-1",
        AWS_ACCESS_KEY_ID: Deno.env.get("S3_ACCESS_KEY") ?? "minioadmin",
        AWS_SECRET_ACCESS_KEY: Deno.env.get("S3_SECRET_KEY") ?? "minioadmin",
      },
    }),
  },
  permissions: s3ClientPermissions(),
}, async (_t, { bucket }) => {
  const keys = await listKeys({
    endpoint: bucket.config.endpoint.origin,
    forcePathStyle: true,
  }, bucket.name);
  if (keys !== 0) throw new Error(`expected an empty bucket, got ${keys}`);
});

integration("reads a file no fixture grants", {
  permissions: { env: ["HOME"] },
}, async () => {
  await Deno.readTextFile("/etc/itkit-not-granted.txt");
});
