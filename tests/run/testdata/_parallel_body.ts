// Shared body of parallel_*.ts: each file writes its own marker to its
// bucket and schema, waits so the files overlap, and checks it sees only its
// own data.
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { delay, integration } from "../../../mod.ts";
import { postgresDatabase } from "../../../postgres.ts";
import { s3Bucket } from "../../../s3.ts";

export function register(marker: string): void {
  for (let i = 1; i <= 4; i++) {
    integration(`${marker} keeps to itself ${i}`, {
      fixtures: {
        bucket: s3Bucket.fixture(),
        db: postgresDatabase.fixture({
          isolation: "schema",
          migrate: (sql) => sql`create table marks (who text)`,
        }),
        tx: postgresDatabase.fixture({
          isolation: "transaction",
          migrate: (sql) => sql`create table tx_marks (who text)`,
        }),
      },
    }, async (_t, { bucket, db, tx }) => {
      await bucket.client.send(
        new PutObjectCommand({
          Bucket: bucket.name,
          Key: `${marker}.txt`,
          Body: marker,
        }),
      );
      await db.sql`insert into marks values (${marker})`;
      await tx.sql`insert into tx_marks values (${marker})`;
      await delay(150);
      const { Contents = [] } = await bucket.client.send(
        new ListObjectsV2Command({ Bucket: bucket.name }),
      );
      const keys = Contents.map((o) => o.Key).join(",");
      const rows = (await db.sql<{ who: string }[]>`select who from marks`).map(
        (r) => r.who,
      ).join(",");
      const txRows = (await tx.sql<{ who: string }[]>`select who from tx_marks`)
        .map((r) => r.who)
        .join(",");
      console.log(`SEEN ${marker}: objects=${keys} rows=${rows} tx=${txRows}`);
      if (keys !== `${marker}.txt` || rows !== marker || txRows !== marker) {
        throw new Error(`${marker} saw someone else's data`);
      }
    });
  }
}
