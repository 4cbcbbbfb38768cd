// Probes that are never awaited: the module fails at load, naming them.
import { probePostgres } from "../../../postgres.ts";
import { probeS3 } from "../../../s3.ts";

probePostgres();
probeS3();
