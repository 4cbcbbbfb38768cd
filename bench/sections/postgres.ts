// Section `postgres` of `deno task bench`: PostgreSQL at suite speed (issue
// 9), each isolation level against the hand-written practice it replaces.
import postgres from "postgres";
import { type PostgresConfig, postgresConfig } from "../../postgres.ts";
import { median, p95 } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { MIGRATION } from "../programs/postgres/_work.ts";
import { wallTime } from "./_program.ts";
import type { SectionOptions } from "./_section.ts";

/** What each isolation level is compared with, and its hand-written program. */
const HAND = {
  transaction: {
    label: "one connection + migrate once + BEGIN/ROLLBACK per test",
    program: "postgres/hand_transaction.ts",
  },
  schema: {
    label: "one connection + CREATE SCHEMA/migrate/DROP per test",
    program: "postgres/hand_schema.ts",
  },
  truncate: {
    label: "one database migrated once + TRUNCATE of the changed table",
    program: "postgres/hand_truncate.ts",
  },
} as const;

/**
 * 4. Modules of 200 tests (50 quick), the 12-table migration (12 tables, 12
 * indexes, one seeded row), each test inserting two rows and reading them
 * back, scram-sha-256 auth, sanitizers on: whole `deno test` processes timed
 * wall-clock, rounds alternated. Then "database" isolation beside raw
 * CREATE DATABASE … TEMPLATE.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function postgresIsolation(
  options: SectionOptions,
): Promise<Row[]> {
  const config = postgresConfig();
  const n = options.quick ? 50 : 200;
  const rounds = options.quick ? 1 : 3;
  const rows: Row[] = [];
  for (const isolation of ["transaction", "schema", "truncate"] as const) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      theirs.push(
        await wallTime(HAND[isolation].program, { BENCH_TESTS: String(n) }),
      );
      ours.push(
        await wallTime("postgres/toolkit.ts", {
          BENCH_TESTS: String(n),
          BENCH_ISOLATION: isolation,
        }),
      );
    }
    const ratio = median(ours.map((t, i) => t / theirs[i]!));
    rows.push({
      name: `postgres ${isolation}: ${n} tests, 12-table migration, vs ${
        HAND[isolation].label
      }`,
      value: median(ours),
      unit: "ms",
      baseline: median(theirs),
      ratio,
      target: "<= 1.2x",
      met: ratio <= 1.2,
    });
  }
  rows.push(...await databaseIsolation(config, options, rounds));
  return rows;
}

/** A plain one-connection postgres.js client, as a test without the toolkit would open. */
function connect(
  config: PostgresConfig,
  database = config.database,
): postgres.Sql {
  return postgres({
    host: config.host,
    port: config.port,
    user: config.user,
    pass: config.password,
    database,
    max: 1,
    onnotice: () => {},
  });
}

/**
 * Database isolation: a module of 50 tests. The handout is the fixture's
 * setup (a ready clone taken from the helper; postgres.js connects on the
 * first query), read from the run summary; the total is compared with 50
 * times a raw CREATE DATABASE … TEMPLATE of the same template, and with the
 * hand-written database per test.
 *
 * @param config The server's.
 * @param options The run's length.
 * @param rounds Whole runs of each side.
 * @returns Its rows.
 */
async function databaseIsolation(
  config: PostgresConfig,
  options: SectionOptions,
  rounds: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  const count = 50;
  const admin = connect(config);
  const template = `bench_tpl_${Date.now().toString(36)}`;
  await admin.unsafe(`create database ${template}`);
  const tpl = connect(config, template);
  await tpl.unsafe(MIGRATION);
  await tpl.end();
  const raw: Record<string, number[]> = { WAL_LOG: [], FILE_COPY: [] };
  for (let i = 0; i < (options.quick ? 5 : 15); i++) {
    for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
      const name = `${template}_c${i}_${strategy.toLowerCase()}`;
      const t = performance.now();
      await admin.unsafe(
        `create database ${name} template ${template} strategy ${strategy}`,
      );
      raw[strategy]!.push(performance.now() - t);
      await admin.unsafe(`drop database ${name}`);
    }
  }
  await admin.unsafe(`drop database ${template}`);
  await admin.end();
  for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
    rows.push({
      name:
        `postgres: raw CREATE DATABASE ... TEMPLATE (12-table template), STRATEGY ${strategy}`,
      value: median(raw[strategy]!),
      unit: "ms",
      note: `p95 ${p95(raw[strategy]!).toFixed(1)} ms`,
    });
  }
  const rawCreate = median(raw.WAL_LOG!);
  const env = { BENCH_TESTS: String(count) };
  const summary = await Deno.makeTempFile({ suffix: ".jsonl" });
  const totals: number[] = [];
  const handTotals: number[] = [];
  const setups: number[] = [];
  const handoutAndRelease: number[] = [];
  for (let r = 0; r < rounds; r++) {
    handTotals.push(await wallTime("postgres/hand_database.ts", env));
    await Deno.writeTextFile(summary, "");
    totals.push(
      await wallTime("postgres/toolkit.ts", {
        ...env,
        BENCH_ISOLATION: "database",
        ITKIT_SUMMARY_FILE: summary,
      }),
    );
    for (const line of (await Deno.readTextFile(summary)).split("\n")) {
      if (!line.trim()) continue;
      const timing: { setups?: number[]; cleanups?: number[] } | undefined =
        JSON.parse(line).timings?.postgresDatabase;
      setups.push(...(timing?.setups ?? []));
      // Issue 10's measure: the handout and the release, test by test.
      (timing?.setups ?? []).forEach((ms, i) =>
        handoutAndRelease.push(ms + (timing?.cleanups?.[i] ?? NaN))
      );
    }
  }
  await Deno.remove(summary);
  rows.push({
    name:
      `postgres database: handout (fixture setup) in a module of ${count} tests`,
    value: p95(setups),
    unit: "ms p95",
    note: `median ${median(setups).toFixed(2)} ms, ${setups.length} setups`,
    target: "p95 <= 2 ms",
    met: p95(setups) <= 2,
  });
  rows.push({
    name:
      `postgres database: handout + release (fixture setup + cleanup) in a module of ${count} tests`,
    value: p95(handoutAndRelease),
    unit: "ms p95",
    note: `median ${median(handoutAndRelease).toFixed(2)} ms`,
    target: "p95 <= 2 ms",
    met: p95(handoutAndRelease) <= 2,
  });
  const ratio = median(totals) / (count * rawCreate);
  rows.push({
    name:
      `postgres database: ${count} tests in total vs ${count} x raw CREATE DATABASE ... TEMPLATE`,
    value: median(totals),
    unit: "ms",
    baseline: count * rawCreate,
    ratio,
    target: "<= 1.2x",
    met: ratio <= 1.2,
  });
  const handRatio = median(totals.map((t, i) => t / handTotals[i]!));
  rows.push({
    name:
      `postgres database: ${count} tests vs hand-written CREATE DATABASE ... TEMPLATE, connect, DROP DATABASE per test`,
    value: median(totals),
    unit: "ms",
    baseline: median(handTotals),
    ratio: handRatio,
  });
  return rows;
}
