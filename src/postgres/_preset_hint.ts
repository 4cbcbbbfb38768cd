// Internal: which PostgreSQL driver preset to name when a test fails with
// NotCapable (core/not_capable.ts): only one that grants what was missing,
// for the driver that read it when its code is in the error's stack.

import {
  pgClientPermissions,
  postgresClientPermissions,
} from "./client_permissions.ts";
import { driverInStack } from "./_drivers.ts";

// Before any export: the install test reads `from "…"` after one as an import.
const FROM = '(from "@itkit/core/postgres")';

/** A preset to name in the hint. */
export interface DriverPresetHint {
  /** How to write it in a test. */
  use: string;
  /** What it is for. */
  why: string;
}

interface Candidate extends DriverPresetHint {
  npm: string;
  /** The major versions it is read from. */
  majors: readonly number[];
  grants(): Deno.PermissionOptions;
}

// postgres.js 4 before 3: 4's preset grants all that 3's does, so where the
// driver's version is not known, 4's is named alone.
const CANDIDATES: readonly Candidate[] = [
  {
    npm: "postgres",
    majors: [4],
    use: `permissions: postgresClientPermissions() ${FROM}`,
    why:
      "what postgres.js 4 reads when the code under test builds its own pool",
    grants: () => postgresClientPermissions(),
  },
  {
    npm: "postgres",
    majors: [3],
    use: `permissions: postgresClientPermissions({}, { version: 3 }) ${FROM}`,
    why:
      "what postgres.js 3 reads when the code under test builds its own pool",
    grants: () => postgresClientPermissions({}, { version: 3 }),
  },
  {
    npm: "pg",
    majors: [8],
    use: `permissions: pgClientPermissions() ${FROM}`,
    why:
      "what node-postgres (pg) reads when the code under test builds its own pool or client",
    grants: () => pgClientPermissions(),
  },
];

/**
 * The driver presets that grant `kind` `value`, for the driver whose code is
 * in `stack` when it is one of ours (the preset of that version; any of that
 * driver's when the version is not in the path or has no preset); else every
 * preset that grants it (postgres.js 3's only when 4's does not).
 *
 * @returns The presets, and whether the stack named a PostgreSQL driver (then
 *   no other preset is relevant).
 */
export function driverPresetHints(
  kind: string,
  value: string,
  stack: string,
): { presets: DriverPresetHint[]; driverKnown: boolean } {
  const driver = driverInStack(stack);
  let candidates = CANDIDATES.filter((c) => grants(c.grants(), kind, value));
  if (driver !== undefined) {
    const ofDriver = candidates.filter((c) => c.npm === driver.npm);
    const ofVersion = ofDriver.filter((c) =>
      driver.major !== undefined && c.majors.includes(driver.major)
    );
    const known = CANDIDATES.some((c) =>
      c.npm === driver.npm && driver.major !== undefined &&
      c.majors.includes(driver.major)
    );
    candidates = known ? ofVersion : ofDriver.slice(0, 1);
  } else {
    candidates = candidates.filter((c, i) =>
      !candidates.slice(0, i).some((earlier) => earlier.npm === c.npm)
    );
  }
  return {
    presets: candidates.map(({ use, why }) => ({ use, why })),
    driverKnown: driver !== undefined,
  };
}

function grants(
  permissions: Deno.PermissionOptions,
  kind: string,
  value: string,
): boolean {
  if (typeof permissions !== "object") return false;
  const grant = (permissions as Record<string, unknown>)[kind];
  return Array.isArray(grant) && grant.includes(value);
}
