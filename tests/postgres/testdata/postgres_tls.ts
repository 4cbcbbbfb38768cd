// One test per case of CASES (JSON: [{ name, isolation, url? }]): a database
// fixture on `url` (else DATABASE_URL / PG* of the process, PGSSLMODE
// included) prints whether its connection is encrypted, as the server sees
// it, or fails as its TLS settings say; and prints its handle.
import { integration } from "../../../mod.ts";
import {
  postgresConfig,
  postgresDatabase,
  type PostgresIsolation,
} from "../../../postgres.ts";

interface Case {
  name: string;
  isolation: PostgresIsolation;
  url?: string;
}

const cases: Case[] = JSON.parse(Deno.env.get("CASES") ?? "[]");

for (const { name, isolation, url } of cases) {
  integration(`tls ${name}`, {
    fixtures: {
      db: postgresDatabase.fixture({
        isolation,
        ...(url === undefined
          ? {}
          : { config: postgresConfig({ DATABASE_URL: url }) }),
        migrate: (sql) => sql`create table t (x int)`,
      }),
    },
  }, async (_t, { db }) => {
    const [row] = await db.sql<{ ssl: boolean }[]>`
      select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
    console.log(`SSL ${name} ${row?.ssl}`);
    // What a user prints of the handle carries no password.
    console.log(Deno.inspect(db));
  });
}
