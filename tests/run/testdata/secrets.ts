// Everything a user sees that could show a secret: probe results and
// reasons, ignored tests, thrown errors, printed configs and handles. The
// caller (secrets_test.ts) sets distinctive secrets in DATABASE_URL (a role
// on the run's server) and S3_SECRET_KEY, and reads every line printed.
import { integration } from "../../../mod.ts";
import {
  postgresConfig,
  postgresDatabase,
  probePostgres,
} from "../../../postgres.ts";
import { probeS3, s3Bucket, s3Config } from "../../../s3.ts";

const closed = Number(Deno.env.get("SECRETS_CLOSED_PORT"));
const good = postgresConfig();
const wrong = { ...good, password: Deno.env.get("SECRETS_WRONG_PASSWORD")! };
const refused = { ...good, port: closed };
const s3 = s3Config();
const s3Refused = s3Config({
  S3_ENDPOINT: `http://127.0.0.1:${closed}`,
  S3_ACCESS_KEY: s3.accessKeyId,
  S3_SECRET_KEY: s3.secretAccessKey,
});

const pgUp = await probePostgres(good);
const pgWrong = await probePostgres(wrong);
const pgDown = await probePostgres(refused);
const s3Up = await probeS3(s3);
const s3Down = await probeS3(s3Refused);

console.log("configs:", postgresConfig(), s3Config(), s3Refused);
console.log("probes:", pgUp, pgWrong, pgDown, s3Up, s3Down);

integration(
  "postgres with a wrong password",
  { requires: [pgWrong] },
  () => {},
);
integration("postgres refused", { requires: [pgDown] }, () => {});
integration("s3 refused", {
  requires: [s3Down],
  // Declared on a store that refuses: the reaper logs its failed creation.
  fixtures: { bucket: s3Bucket.fixture({ config: s3Refused }) },
}, () => {});

integration("the database handle", {
  requires: [pgUp],
  fixtures: { db: postgresDatabase.fixture() },
}, (_t, { db }) => {
  console.log("db:", db);
  console.log("db deep:", Deno.inspect(db, { depth: 10 }));
  console.log("db.sql:", Deno.inspect(db.sql, { depth: 10 }));
  console.log("db.config:", db.config);
  // The variables for the app, as a user checks them.
  console.log("db.env:", db.env());
});

integration("the bucket handle", {
  requires: [s3Up],
  fixtures: { bucket: s3Bucket.fixture() },
}, async (_t, { bucket }) => {
  // After a request: what the client may have cached.
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name }));
  console.log("bucket:", bucket);
  console.log("bucket deep:", Deno.inspect(bucket, { depth: 10 }));
  console.log("bucket.config:", bucket.config);
});

Deno.test("standalone fixtures that cannot start", async () => {
  const attempts = [
    () => postgresDatabase({ config: wrong }),
    () => postgresDatabase({ config: refused }),
    () => s3Bucket({ config: s3Refused }),
  ];
  for (const attempt of attempts) {
    try {
      await using _ = await attempt();
    } catch (error) {
      console.log("thrown:", error);
    }
  }
});
