import assert from "node:assert/strict";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { probeS3, s3Client, s3Config } from "../../s3.ts";

/**
 * A loopback "S3" that drops the first `drops` connections as soon as a
 * request arrives (the client sees `socket hang up`, as when a server closes
 * a keep-alive connection just as a request goes out), then answers
 * ListBuckets with no buckets.
 */
function flakyStore(drops: number): { url: string; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>o</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`;
  const served = (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(65536);
      await conn.read(buffer).catch(() => null);
      if (drops-- > 0) {
        conn.close();
        continue;
      }
      await conn.write(
        new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ),
      );
      conn.close();
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async close(): Promise<void> {
      listener.close();
      await served.catch(() => {});
    },
  };
}

Deno.test("s3Client() retries a request whose connection the server dropped", async () => {
  const store = flakyStore(1);
  const client = await s3Client(s3Config({ S3_ENDPOINT: store.url }));
  try {
    const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
    assert.deepEqual(Buckets, []);
  } finally {
    client.destroy();
    await store.close();
  }
});

Deno.test("probeS3() makes one attempt: a dropped connection is its answer", async () => {
  const store = flakyStore(1);
  try {
    const result = await probeS3(s3Config({ S3_ENDPOINT: store.url }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /socket hang up|closed|reset/i);
  } finally {
    await store.close();
  }
});
