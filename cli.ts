/**
 * The itkit command line.
 *
 * - `services`: start throwaway PostgreSQL and S3 servers (unless
 *   `DATABASE_URL` / `S3_ENDPOINT` are set), print the `export` lines that
 *   point at them, and stop them cleanly on Ctrl-C (SIGINT) or SIGTERM.
 * - `run -- <command...>`: the same services for one command (for example
 *   `deno test -A`), then a check that the run left no bucket, schema or
 *   database behind on the servers it started, then stop them.
 * - `sweep [--older-than 1h] [--dry-run]`: remove what fixtures of crashed
 *   runs left on the configured S3 store, PostgreSQL server and temp dir.
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
  provisionServices,
  sweep,
} from "./services.ts";
import { s3Config } from "./s3.ts";
import { postgresConfig } from "./postgres.ts";
import { formatSummary, mergeSummaries } from "./src/run/summary.ts";
import { waitForReapers } from "./src/run/reaper.ts";

const USAGE = `usage:
  cli.ts services [--json] [--until-stdin-closes]
                               start services, print exports, stop on Ctrl-C
  cli.ts run -- <command...>   run a command with services, then check for leftovers
  cli.ts sweep [--older-than 1h] [--dry-run]
                               remove what crashed runs left on the configured servers`;

/**
 * Runs the command line.
 *
 * @param args The arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "services") {
    return await services({
      json: rest.includes("--json"),
      untilStdinCloses: rest.includes("--until-stdin-closes"),
    });
  }
  if (command === "run") {
    const dash = rest.indexOf("--");
    const argv = dash === -1 ? rest : rest.slice(dash + 1);
    if (argv.length === 0) {
      console.error(`itkit: run needs a command after --\n${USAGE}`);
      return 2;
    }
    return await runWithServices(argv);
  }
  if (command === "sweep") return await sweepCommand(rest);
  console.error(USAGE);
  return 2;
}

async function sweepCommand(args: string[]): Promise<number> {
  const at = args.indexOf("--older-than");
  const olderThan = at === -1 ? undefined : parseDuration(args[at + 1]);
  const report = await sweep({ olderThan, dryRun: args.includes("--dry-run") });
  const verb = args.includes("--dry-run") ? "would remove" : "removed";
  for (const line of report.removed) console.log(`${verb} ${line}`);
  for (const line of report.failed) console.error(`could not remove ${line}`);
  console.error(
    `itkit: sweep ${verb} ${report.removed.length}, failed ${report.failed.length}`,
  );
  return report.failed.length ? 1 : 0;
}

/** `90s`, `30m`, `2h`, `1d` or milliseconds. */
function parseDuration(text: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text ?? "");
  if (!match) {
    throw new TypeError(
      `Cannot sweep: --older-than ${
        JSON.stringify(text ?? "")
      } is not a duration (expected e.g. 0, 90s, 30m, 2h, 1d)`,
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
  options: { json: boolean; untilStdinCloses: boolean },
): Promise<number> {
  await using provisioned = await provisionServices();
  if (options.json) {
    console.log(JSON.stringify({
      env: provisioned.env,
      services: provisioned.services,
    }));
  } else {
    for (const service of provisioned.services) {
      console.error(
        `itkit: ${service.kind}: ${service.origin} at ${service.address}`,
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

/**
 * Runs a command with services provisioned (see {@linkcode provisionServices}),
 * then checks the servers it started for leftovers.
 *
 * @param argv The command and its arguments.
 * @param env Extra variables for the command.
 * @returns The command's exit code, or 1 when it passed but left resources behind.
 */
export async function runWithServices(
  argv: string[],
  env: Record<string, string> = {},
): Promise<number> {
  await using provisioned = await provisionServices();
  for (const service of provisioned.services) {
    console.error(
      `itkit: ${service.kind}: ${service.origin} at ${service.address}`,
    );
  }
  const summaryWanted = /^(1|true|yes)$/i.test(
    env.ITKIT_SUMMARY ?? Deno.env.get("ITKIT_SUMMARY") ?? "",
  );
  const summaryFile = summaryWanted
    ? await Deno.makeTempFile({ prefix: "itkit-summary-" })
    : undefined;
  const reaperLog = env.ITKIT_REAPER_LOG ?? Deno.env.get("ITKIT_REAPER_LOG") ??
    await Deno.makeTempFile({ prefix: "itkit-reaper-", suffix: ".log" });
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
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
  const forward = () => child.kill("SIGINT");
  Deno.addSignalListener("SIGINT", forward);
  const { code } = await child.status;
  Deno.removeSignalListener("SIGINT", forward);
  await reportReapers(reaperLog);

  if (summaryFile) {
    const lines = (await Deno.readTextFile(summaryFile)).split("\n").filter(
      Boolean,
    );
    await Deno.remove(summaryFile);
    const records = mergeSummaries(lines.map((line) => JSON.parse(line)));
    records.services = provisioned.services.map((s) => ({ ...s }));
    console.error(formatSummary(records));
  }
  const leftovers = await checkLeftovers(provisioned.env);
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
      "itkit: leftover check passed: no bucket, schema or database left behind",
    );
  }
  return code;
}

/**
 * Waits for the reapers of the run's test processes to finish removing what
 * they were handed (so the summary and the leftover check never race them),
 * and says where their log is.
 */
async function reportReapers(log: string): Promise<void> {
  const report = await waitForReapers(log);
  if (report.removed === 0 && report.failed.length === 0) {
    if (report.running.length === 0) await Deno.remove(log).catch(() => {});
    return;
  }
  for (const line of report.failed) console.error(`itkit: reaper: ${line}`);
  const still = report.running.length > 0
    ? `, ${report.running.length} still running (pid ${report.running})`
    : "";
  console.error(
    `itkit: reaper: removed ${report.removed}, failed ${report.failed.length}${still}; log: ${log}`,
  );
}

/** Leftovers on the servers this run started (configured ones are not checked). */
async function checkLeftovers(env: Record<string, string>): Promise<string[]> {
  // Template databases are dropped by a helper when each test process
  // exits; give it a moment.
  let leftovers: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    leftovers = [];
    if (env.S3_ENDPOINT) leftovers.push(...await listBuckets(s3Config(env)));
    if (env.DATABASE_URL) {
      leftovers.push(...await listPostgresLeftovers(postgresConfig(env)));
    }
    if (leftovers.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return leftovers;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value)
    ? value
    : `'${value.replaceAll("'", `'\\''`)}'`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
