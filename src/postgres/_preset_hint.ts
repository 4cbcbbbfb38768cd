// Internal: which PostgreSQL driver preset a NotCapable hint names
// (core/not_capable.ts, to which client_permissions.ts registers it): only one
// that grants what was missing, for the driver that read it when its code is
// in the error's stack.

import type { PresetHint, PresetHintSource } from "../core/not_capable.ts";
import { type DriverId, driverInStack } from "./_drivers.ts";

// Before any export: the install test reads `from "…"` after one as an import.
const FROM = '(from "@itkit/core/postgres")';

/** What each driver version's preset grants (client_permissions.ts's presets). */
export type DriverPresets = Readonly<
  Record<DriverId, () => Deno.PermissionOptions>
>;

interface Candidate extends PresetHint {
  npm: string;
  /** The major versions it is read from. */
  majors: readonly number[];
  /** Its preset, in {@linkcode DriverPresets}. */
  preset: DriverId;
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
    preset: "postgres.js@4",
  },
  {
    npm: "postgres",
    majors: [3],
    use: `permissions: postgresClientPermissions({}, { version: 3 }) ${FROM}`,
    why:
      "what postgres.js 3 reads when the code under test builds its own pool",
    preset: "postgres.js@3",
  },
  {
    npm: "pg",
    majors: [8],
    use: `permissions: pgClientPermissions() ${FROM}`,
    why:
      "what node-postgres (pg) reads when the code under test builds its own pool or client",
    preset: "pg@8",
  },
];

/**
 * The hint source for the driver presets: for a missing `kind` `value`, the
 * presets that grant it, for the driver whose code is in `stack` when it is
 * one of ours (the preset of that version; any of that driver's when the
 * version is not in the path or has no preset); else every preset that
 * grants it (postgres.js 3's only when 4's does not). When the stack named a
 * PostgreSQL driver, no other preset is relevant.
 *
 * @param presets What each preset grants.
 * @returns The source to register with core/not_capable.ts.
 */
export function driverPresetHints(presets: DriverPresets): PresetHintSource {
  return (kind, value, stack) => {
    const driver = driverInStack(stack);
    let candidates = CANDIDATES.filter((c) =>
      grants(presets[c.preset](), kind, value)
    );
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
      readByOwnClient: driver !== undefined,
    };
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
