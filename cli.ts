/**
 * The itkit command line.
 *
 * - `services`: start throwaway PostgreSQL and S3 servers (unless
 *   `DATABASE_URL` / `S3_ENDPOINT` are set), print the `export` lines that
 *   point at them, and stop them cleanly on Ctrl-C (SIGINT) or SIGTERM.
 * - `run -- <command...>`: the same services for one command (for example
 *   `deno test -A`), then a check that the run left no bucket, schema or
 *   database behind on the servers it started, then stop them.
 *
 * @example
 * ```sh
 * deno run -A jsr:@itkit/core/cli run -- deno test -A --filter integration
 * ```
 *
 * @module
 */

import { provisionServices } from "./src/services/provision.ts";
import {
  listBuckets,
  listPostgresLeftovers,
} from "./src/services/leftovers.ts";
import { s3Config } from "./src/s3_config.ts";
import { postgresConfig } from "./src/postgres_config.ts";
import { formatSummary, mergeSummaries } from "./src/summary.ts";

const USAGE = `usage:
  cli.ts services [--json] [--until-stdin-closes]
                               start services, print exports, stop on Ctrl-C
  cli.ts run -- <command...>   run a command with services, then check for leftovers`;

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
  console.error(USAGE);
  return 2;
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
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: {
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
