// Internal: the groups whose bodies are running, while they register tests,
// and what they give each test registered inside. `group.ts` opens them;
// `integration.ts` applies them; neither imports the other for it.

import type {
  FixtureRecord,
  IntegrationDefinition,
  IntegrationOptions,
} from "./integration_types.ts";
import { mergePermissions } from "./permissions.ts";

/** What a group passes down: the options a test shares with its group. */
export type SharedOptions = Pick<
  IntegrationOptions<FixtureRecord>,
  "requires" | "permissions" | "timeout" | "fixtures" | "ignore"
>;

/** An open group, while its body registers tests. */
interface GroupFrame {
  readonly name: string;
  readonly options: SharedOptions;
}

/** The open groups, outermost first. */
const open: GroupFrame[] = [];

/**
 * Runs `body` with a group open: every test registered meanwhile gets its
 * name and options ({@linkcode inGroups}). The group is closed however `body`
 * ends.
 */
export function withGroupOpen<T>(
  name: string,
  options: SharedOptions,
  body: () => T,
): T {
  open.push({ name, options });
  try {
    return body();
  } finally {
    open.pop();
  }
}

/** `definition` with the open groups' names and options applied. */
export function inGroups<F extends FixtureRecord>(
  definition: IntegrationDefinition<F>,
): IntegrationDefinition<F> {
  if (open.length === 0) return definition;
  let { name, requires, permissions, timeout, fixtures, ignore } = definition;
  if (typeof name === "string") {
    name = [...open.map((g) => g.name), name].join(" > ");
  }
  for (const { options } of open.toReversed()) {
    requires = [...(options.requires ?? []), ...(requires ?? [])];
    if (options.permissions !== undefined) {
      permissions = mergePermissions([
        options.permissions,
        permissions ?? "none",
      ]);
    }
    timeout ??= options.timeout;
    fixtures = { ...options.fixtures, ...fixtures } as F;
    ignore ||= options.ignore;
  }
  return {
    ...definition,
    name,
    ...(requires === undefined ? {} : { requires }),
    ...(permissions === undefined ? {} : { permissions }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(fixtures === undefined ? {} : { fixtures }),
    ...(ignore === undefined ? {} : { ignore }),
  };
}
