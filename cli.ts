/**
 * The itkit command line.
 *
 * - `services`: start throwaway PostgreSQL, S3 and Redis servers (unless
 *   `DATABASE_URL` / `S3_ENDPOINT` / `REDIS_URL` are set; Redis when
 *   `redis-server` is installed), and the services of each
 *   `--service <module>` (see `@itkit/core/service`), print the `export`
 *   lines that point at them, and stop them cleanly on Ctrl-C (SIGINT) or
 *   SIGTERM.
 * - `run [--service <module>]... -- <command...>`: the same services for
 *   one command (for example `deno test -A`), then a check that the run left
 *   no bucket, schema, database or space behind on the servers it started,
 *   then stop them.
 * - `sweep [--older-than 1h] [--dry-run]`: remove what fixtures of crashed
 *   runs left on the configured S3 store (`S3_ENDPOINT`), PostgreSQL server
 *   (`DATABASE_URL` or `PG*`), Redis (`REDIS_URL`), the services of each
 *   `--service <module>`, and temp dir; what is not configured is skipped,
 *   and said so.
 * - `permissions [--json] [--clients] [--database-isolation]`: print the
 *   process permissions the configured services need, instead of `-A`
 *   (`--database-isolation`: `run` of deno, which isolation `"database"`
 *   needs and `"truncate"` uses for a database, or schema, migrated once).
 * - `permissions --audit -- deno test -A <files>`: run the tests once and
 *   print, per integration test, the permissions it used beyond what its
 *   fixtures and options grant.
 *
 * @example
 * ```sh
 * deno run -A jsr:@itkit/core/cli run -- deno test -A --filter integration
 * ```
 *
 * @module
 */

import {
  listBuckets,
  listPostgresLeftovers,
  listServiceLeftovers,
  type ProvisionedServices,
  provisionServices,
  type ServiceLike,
  sweep,
} from "./services.ts";
import { redis } from "./redis.ts";
import { servicesIn } from "./src/service/registry.ts";
import { s3Config } from "./s3.ts";
import { postgresConfig } from "./postgres.ts";
import { formatSummary, mergeSummaries } from "./src/run/summary.ts";
import {
  checkFileSetting,
  defaultProbeTimeout,
  parseFlag,
} from "./src/run/settings.ts";
import {
  auditPermissions,
  formatPermissionAudit,
} from "./src/services/permissions_audit.ts";
import {
  permissionFlags,
  portablePermissions,
  processPermissions,
} from "./src/services/process_permissions.ts";
import { readEnv } from "./src/util/env.ts";
import { writeServicesReport } from "./src/services/services_report.ts";
import { describe, maskUrl } from "./src/util/text.ts";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { helperFilesLeft, waitForReapers } from "./src/run/reaper.ts";

const USAGE = `usage:
  cli.ts services [--json] [--until-stdin-closes] [--service <module>]...
                               start services, print exports, stop on Ctrl-C or SIGTERM
  cli.ts run [--service <module>]... -- <command...>
                               run a command with services, then check for leftovers;
                               Ctrl-C and SIGTERM are passed on to the command
  cli.ts sweep [--older-than <age>] [--dry-run] [--service <module>]...
                               remove what crashed runs left on the configured servers;
                               <age> is 0, 90s, 30m, 2h or 1d (default 1h)
  cli.ts permissions [--json] [--clients] [--database-isolation] [--service <module>]...
                               print the process permissions the configured services need
  cli.ts permissions --audit -- deno test -A <files>
                               run the tests once; print the permissions each used beyond its declarations
  cli.ts <command> --help      print this usage

--service <module>: a module exporting services you defined (defineService),
besides PostgreSQL, S3 and Redis. Options take --name=value or --name value.`;

const HELP = { help: { type: "boolean", short: "h" } } as const;
const SERVICE = { service: { type: "string", multiple: true } } as const;

/** Bad command-line input: one line, then the usage, exit code 2. */
class UsageError extends Error {}

/**
 * Runs the command line. Bad arguments print one line and the usage and
 * return 2; `--help` prints the usage and does nothing else.
 *
 * @param args The arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`itkit: ${error.message}\n\n${USAGE}`);
    return 2;
  }
}

async function dispatch(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h") return help();
  if (command === "services") {
    const { values } = parse(command, rest, {
      ...HELP,
      ...SERVICE,
      json: { type: "boolean" },
      "until-stdin-closes": { type: "boolean" },
    });
    if (values.help) return help();
    return await services({
      json: values.json ?? false,
      untilStdinCloses: values["until-stdin-closes"] ?? false,
      services: await loadServices(values.service ?? []),
    });
  }
  if (command === "run") {
    const dash = rest.indexOf("--");
    const own = dash === -1 ? rest : rest.slice(0, dash);
    const argv = dash === -1 ? [] : rest.slice(dash + 1);
    if (dash === -1 && own.some((arg) => !/^(--help|-h)$/.test(arg))) {
      throw new UsageError(
        `run needs -- before the command, got ${JSON.stringify(own.join(" "))}`,
      );
    }
    const { values } = parse(command, own, { ...HELP, ...SERVICE });
    if (values.help) return help();
    if (argv.length === 0) {
      throw new UsageError("run needs a command after --");
    }
    return await runWithServices(argv, {}, {
      services: await loadServices(values.service ?? []),
    });
  }
  if (command === "sweep") {
    const { values } = parse(command, rest, {
      ...HELP,
      ...SERVICE,
      "older-than": { type: "string" },
      "dry-run": { type: "boolean" },
    });
    if (values.help) return help();
    const olderThan = values["older-than"] === undefined
      ? undefined
      : parseDuration(values["older-than"]);
    return await sweepCommand(
      olderThan,
      values["dry-run"] ?? false,
      await loadServices(values.service ?? []),
    );
  }
  if (command === "permissions" && rest.includes("--audit")) {
    const dash = rest.indexOf("--");
    const own = dash === -1 ? rest : rest.slice(0, dash);
    const argv = dash === -1 ? [] : rest.slice(dash + 1);
    const { values } = parse(command, own, {
      ...HELP,
      audit: { type: "boolean" },
    });
    if (values.help) return help();
    if (argv.length === 0) {
      throw new UsageError(
        "permissions --audit needs the test command after --",
      );
    }
    if (argv.includes("--parallel")) {
      throw new UsageError(
        "permissions --audit: run the tests without --parallel (Deno's audit log does not say which test file made a check)",
      );
    }
    const { code, audit } = await auditPermissions(argv);
    console.log(formatPermissionAudit(audit));
    return code;
  }
  if (command === "permissions") {
    const { values } = parse(command, rest, {
      ...HELP,
      ...SERVICE,
      json: { type: "boolean" },
      clients: { type: "boolean" },
      "database-isolation": { type: "boolean" },
    });
    if (values.help) return help();
    const set = processPermissions({
      clients: values.clients ?? false,
      databaseIsolation: values["database-isolation"] ?? false,
      services: [redis, ...await loadServices(values.service ?? [])],
    });
    if (!values.json) {
      console.log(permissionFlags(set).join(" "));
      return 0;
    }
    // A set to commit: nothing of this run (ports) or machine ($HOME).
    const portable = portablePermissions(set);
    console.log(JSON.stringify(portable.set, null, 2));
    if (portable.omitted.length > 0) {
      console.error(
        `itkit: left out of the set, as paths of this machine's home directory (pass them as flags, e.g. --allow-read=...): ${
          portable.omitted.join(", ")
        }`,
      );
    }
    return 0;
  }
  throw new UsageError(
    command === undefined
      ? "missing command (expected services, run, sweep or permissions)"
      : `unknown command ${
        JSON.stringify(command)
      } (expected services, run, sweep or permissions)`,
  );
}

function help(): number {
  console.log(USAGE);
  return 0;
}

/** `parseArgs` in strict mode, its errors turned into one usage line. */
function parse<T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
): ReturnType<typeof parseArgs<{ options: T }>> {
  try {
    return parseArgs({ args, options, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** The variables that configure PostgreSQL for `sweep` (`USER` does not). */
const POSTGRES_SETTINGS = [
  "DATABASE_URL",
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGPASSWORD",
  "PGDATABASE",
];

async function sweepCommand(
  olderThan: number | undefined,
  dryRun: boolean,
  extra: ServiceLike[],
): Promise<number> {
  // Only what is configured: a default (localhost:9000) is nobody's store.
  const s3 = Boolean(readEnv("S3_ENDPOINT"));
  const postgres = POSTGRES_SETTINGS.some((name) => readEnv(name));
  if (!s3) console.error("itkit: sweep: S3 skipped: S3_ENDPOINT is not set");
  if (!postgres) {
    console.error(
      `itkit: sweep: PostgreSQL skipped: none of ${
        POSTGRES_SETTINGS.join(", ")
      } is set`,
    );
  }
  const report = await sweep({
    ...(olderThan === undefined ? {} : { olderThan }),
    ...(s3 ? {} : { s3: false }),
    ...(postgres ? {} : { postgres: false }),
    // Each at the URL its variable holds; skipped (and said so) unset.
    services: [redis, ...extra],
    dryRun,
  });
  const verb = dryRun ? "would remove" : "removed";
  for (const line of report.removed) console.log(`${verb} ${line}`);
  for (const line of report.inUse) console.log(`left in use ${line}`);
  for (const line of report.failed) console.error(`could not remove ${line}`);
  for (const { store, target, status, reason } of report.stores) {
    console.error(
      `itkit: sweep: ${store}${target ? ` ${target}` : ""}: ${status}${
        reason ? ` (${reason})` : ""
      }`,
    );
  }
  const unreachable = report.stores.filter((s) => s.status === "unreachable");
  console.error(
    `itkit: sweep ${verb} ${report.removed.length}, left ${report.inUse.length} in use, failed ${report.failed.length}${
      unreachable.length ? `, ${unreachable.length} store(s) unreachable` : ""
    }`,
  );
  return report.failed.length || unreachable.length ? 1 : 0;
}

/** `90s`, `30m`, `2h`, `1d` or milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (!match) {
    throw new UsageError(
      `sweep: --older-than ${
        JSON.stringify(text)
      } is not an age (expected e.g. 0, 90s, 30m, 2h, 1d)`,
    );
  }
  const unit = {
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 3.6e6,
    d: 8.64e7,
  }[match[2] ?? "ms"]!;
  return Number(match[1]) * unit;
}

async function services(
  options: {
    json: boolean;
    untilStdinCloses: boolean;
    services: ServiceLike[];
  },
): Promise<number> {
  await using provisioned = await provisionServices({
    services: ["postgres", "s3", redis, ...options.services],
  });
  reportSkipped(provisioned);
  if (options.json) {
    console.log(writeServicesReport({
      env: provisioned.env,
      services: provisioned.services.map((service) => ({
        ...service,
        address: maskUrl(service.address),
      })),
    }));
  } else {
    for (const service of provisioned.services) {
      console.error(
        `itkit: ${service.kind}: ${service.origin} at ${
          maskUrl(service.address)
        }`,
      );
    }
    for (const [name, value] of Object.entries(provisioned.env)) {
      console.log(`export ${name}=${shellQuote(value)}`);
    }
    console.error("itkit: services are up; press Ctrl-C to stop them");
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    if (options.untilStdinCloses) {
      // The parent holds our stdin; it closes when the parent exits, however
      // it exits.
      Deno.stdin.readable.pipeTo(new WritableStream()).then(stop, stop);
    }
  });
  if (!options.json) console.error("itkit: stopping services");
  return 0;
}

/** Options of {@linkcode runWithServices}. */
export interface RunWithServicesOptions {
  /**
   * Services you defined, besides PostgreSQL, S3 and Redis: each started
   * (when its variable is not set) and checked for leftovers like them.
   *
   * @default {[]}
   */
  services?: ServiceLike[];
}

/**
 * Runs a command with services provisioned (see {@linkcode provisionServices}):
 * PostgreSQL, S3, Redis and `options.services`; then checks the servers it
 * started for leftovers.
 *
 * @param argv The command and its arguments.
 * @param env Extra variables for the command.
 * @param options Services you defined.
 * @returns The command's exit code, or 1 when it passed but left resources behind.
 */
export async function runWithServices(
  argv: string[],
  env: Record<string, string> = {},
  options: RunWithServicesOptions = {},
): Promise<number> {
  // Settings first: a bad one is reported before any server starts.
  const summaryWanted = parseFlag(
    "ITKIT_SUMMARY",
    env.ITKIT_SUMMARY ?? readEnv("ITKIT_SUMMARY"),
  );
  parseFlag("ITKIT_REAPER", env.ITKIT_REAPER ?? readEnv("ITKIT_REAPER"), true);
  const givenLog = env.ITKIT_REAPER_LOG || readEnv("ITKIT_REAPER_LOG");
  if (givenLog) checkFileSetting("ITKIT_REAPER_LOG", givenLog);
  if (env.ITKIT_PROBE_TIMEOUT === undefined) defaultProbeTimeout();
  const defined = [redis, ...options.services ?? []];
  await using provisioned = await provisionServices({
    services: ["postgres", "s3", ...defined],
  });
  for (const service of provisioned.services) {
    console.error(
      `itkit: ${service.kind}: ${service.origin} at ${
        maskUrl(service.address)
      }`,
    );
  }
  reportSkipped(provisioned);
  const summaryFile = summaryWanted
    ? await Deno.makeTempFile({ prefix: "itkit-summary-" })
    : undefined;
  const reaperLog = givenLog ||
    await Deno.makeTempFile({ prefix: "itkit-reaper-", suffix: ".log" });
  const [cmd, ...args] = argv;
  if (cmd === undefined) {
    throw new TypeError("Cannot run with services: no command given");
  }
  const child = new Deno.Command(cmd, {
    args,
    env: {
      ITKIT_REAPER_LOG: reaperLog,
      ...provisioned.env,
      ...env,
      ...(summaryFile ? { ITKIT_SUMMARY_FILE: summaryFile } : {}),
    },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Pass Ctrl-C and SIGTERM on; the command decides when to stop, and the
  // services are stopped after it.
  const forwards = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const forward = () => child.kill(signal);
    Deno.addSignalListener(signal, forward);
    return () => Deno.removeSignalListener(signal, forward);
  });
  const { code } = await child.status;
  for (const stop of forwards) stop();
  const { ok: reapersOk, filesLeft } = await reportReapers(reaperLog);

  if (summaryFile) {
    const lines = (await Deno.readTextFile(summaryFile)).split("\n").filter(
      Boolean,
    );
    await Deno.remove(summaryFile);
    const records = mergeSummaries(lines.map((line) => JSON.parse(line)));
    records.services = provisioned.services.map((s) => ({ ...s }));
    console.error(formatSummary(records));
  }
  const leftovers = [
    ...await checkLeftovers(provisioned.env, defined),
    ...filesLeft.map((path) => `file ${path} (a helper's, in the temp dir)`),
  ];
  if (leftovers.length > 0) {
    console.error(
      `itkit: leftover check FAILED: the run left ${leftovers.length} resource(s) behind:\n${
        leftovers.map((l) => `  ${l}`).join("\n")
      }`,
    );
    return code === 0 ? 1 : code;
  }
  if (Object.keys(provisioned.env).length > 0) {
    console.error(
      "itkit: leftover check passed: no bucket, schema, database, space or helper file left behind",
    );
  }
  // A reaper that failed (or died) may have left something where the check
  // does not look (a temp dir, a configured server): the run fails.
  return code === 0 && !reapersOk ? 1 : code;
}

/**
 * Waits for the reapers and database helpers of the run's test processes to
 * finish removing what they were handed (so the summary and the leftover
 * check never race them), and says where their log is.
 *
 * @returns Whether they did all of it (no failure, none died or still runs),
 *   and the files they left in the temp dir (ready files, sockets).
 */
async function reportReapers(
  log: string,
): Promise<{ ok: boolean; filesLeft: string[] }> {
  const report = await waitForReapers(log);
  const ok = report.failed.length === 0 && report.running.length === 0;
  const filesLeft = await helperFilesLeft(log);
  if (report.removed === 0 && ok) {
    await Deno.remove(log).catch(() => {});
    return { ok: true, filesLeft };
  }
  for (const line of report.failed) console.error(`itkit: reaper: ${line}`);
  const still = report.running.length > 0
    ? `, ${report.running.length} still running (pid ${report.running})`
    : "";
  console.error(
    `itkit: reaper: removed ${report.removed}, failed ${report.failed.length}${still}; log: ${log}${
      ok ? "" : " (the run fails: what they held may be left)"
    }`,
  );
  return { ok, filesLeft };
}

/**
 * Leftovers on the servers this run started (configured ones are not
 * checked), listed once: the reapers and the database helpers that remove
 * what the run made have been waited for (see {@linkcode reportReapers}).
 */
async function checkLeftovers(
  env: Record<string, string>,
  services: ServiceLike[],
): Promise<string[]> {
  const leftovers: string[] = [];
  if (env.S3_ENDPOINT) leftovers.push(...await listBuckets(s3Config(env)));
  if (env.DATABASE_URL) {
    leftovers.push(...await listPostgresLeftovers(postgresConfig(env)));
  }
  for (const service of services) {
    const url = env[service.env];
    if (url) leftovers.push(...await listServiceLeftovers(service, url));
  }
  return leftovers;
}

/** Says which services were neither configured nor started, and why. */
function reportSkipped(provisioned: ProvisionedServices): void {
  for (const { kind, reason } of provisioned.skipped) {
    console.error(
      `itkit: ${kind}: not started: ${reason}; tests that probe it are ignored`,
    );
  }
}

/**
 * The services the modules given with `--service` export.
 *
 * @param specifiers Paths (relative to the working directory) or URLs.
 * @returns Every service they export.
 */
async function loadServices(specifiers: string[]): Promise<ServiceLike[]> {
  const found: ServiceLike[] = [];
  const base = new URL(`file://${Deno.cwd()}/`);
  for (const specifier of specifiers) {
    const url = /^[a-z][a-z0-9+.-]*:/i.test(specifier)
      ? new URL(specifier)
      : new URL(specifier, base);
    let module: Record<string, unknown>;
    try {
      module = await import(url.href);
    } catch (error) {
      throw new UsageError(
        `--service ${JSON.stringify(specifier)}: cannot load it: ${
          describe(error)
        }`,
      );
    }
    const services = servicesIn(module) as ServiceLike[];
    if (services.length === 0) {
      throw new UsageError(
        `--service ${
          JSON.stringify(specifier)
        }: it exports no service (expected an export made with defineService())`,
      );
    }
    found.push(...services);
  }
  return found;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value)
    ? value
    : `'${value.replaceAll("'", `'\\''`)}'`;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    // A configuration or connection problem: one line, not a stack trace.
    console.error(`itkit: ${describe(error)}`);
    code = 1;
  }
  Deno.exit(code);
}
