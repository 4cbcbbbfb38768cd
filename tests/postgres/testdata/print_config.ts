import { postgresConfig, postgresUrl } from "../../../postgres.ts";
import { s3Config } from "../../../s3.ts";

Deno.test("prints the configuration", () => {
  console.log(`S3 ${s3Config().endpoint.href}`);
  console.log(`PG ${postgresUrl(postgresConfig())}`);
});
