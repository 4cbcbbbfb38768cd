// Internal: the protocol between a test process that wants local services
// (local_services.ts) and the helper it spawns for them (`cli.ts services
// --json --until-stdin-closes`): the helper writes one line, its report,
// once the services are up, and stops them when its stdin closes (the
// parent holds it; it closes when the parent exits, however it exits).
// The line is also what `cli.ts services --json` prints for a user.

import type { ProvisionedService } from "./provision.ts";
import type { ServiceOrigin } from "../run/server_handle.ts";

/** What the services helper reports, once its services are up. */
export interface ServicesReport {
  /** The variables that point at the provisioned services. */
  readonly env: Readonly<Record<string, string>>;
  /** Each service and where it came from (addresses masked). */
  readonly services: readonly ProvisionedService[];
}

/** Every origin a service can have (checked in a report). */
const ORIGINS: Record<ServiceOrigin, true> = {
  configured: true,
  native: true,
  pglite: true,
  s3rver: true,
  rgw: true,
  launched: true,
};

/**
 * Writes the report as its line (without the newline).
 *
 * @param report The report.
 * @returns The line.
 */
export function writeServicesReport(report: ServicesReport): string {
  return JSON.stringify(report);
}

/**
 * Reads the helper's report, checking each field (an error names the field,
 * never its value: the variables hold passwords).
 *
 * @param line The line.
 * @returns The report.
 * @throws {Error} For a line that is not a services report.
 */
export function readServicesReport(line: string): ServicesReport {
  const wrong = (what: string): Error => new Error(`a services report ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw wrong(`of ${line.length} characters is not JSON`);
  }
  if (!isRecord(parsed)) throw wrong("is not a JSON object");
  const { env, services } = parsed;
  if (!isRecord(env)) throw wrong("has no env (expected an object)");
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== "string") {
      throw wrong(`has env.${name} not a string`);
    }
  }
  if (!Array.isArray(services)) {
    throw wrong("has no services (expected an array)");
  }
  services.forEach((service: unknown, i) => {
    if (!isRecord(service)) throw wrong(`has services[${i}] not an object`);
    for (const field of ["kind", "origin", "address"]) {
      if (typeof service[field] !== "string") {
        throw wrong(`has no services[${i}].${field} (expected a string)`);
      }
    }
    if (!Object.hasOwn(ORIGINS, service.origin as string)) {
      throw wrong(`has services[${i}].origin not a service origin`);
    }
  });
  return {
    env: env as Record<string, string>,
    services: services as ProvisionedService[],
  };
}

function isRecord(value: unknown): value is { [field: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
