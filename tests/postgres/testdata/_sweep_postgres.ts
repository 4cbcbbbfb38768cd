// Sweeps the PostgreSQL server of DATABASE_URL with no age limit, as a dry
// run, and prints the report as JSON. postgres_frozen_lease.ts runs it with
// --deny-read=/proc: a sweep that cannot see this machine's processes, as on
// another host, knows a run is alive by its lease only.
import { sweep } from "../../../services.ts";

const report = await sweep({
  olderThan: 0,
  dryRun: true,
  s3: false,
  tmpDir: false,
});
console.log(JSON.stringify(report));
