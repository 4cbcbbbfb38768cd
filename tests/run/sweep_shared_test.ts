// Several runs share one PostgreSQL server, one S3 store and one temp dir,
// as CI jobs share a staging server: one run is killed with every process it
// has (its reaper and clone helper too, so that nothing cleans up), and
// sweeps with no age limit run while the others hold their resources.
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListObjectsCommand,
} from "@aws-sdk/client-s3";
import type postgres from "postgres";
import {
  listBuckets,
  listPostgresLeftovers,
  provisionServices,
  sweep,
  type SweepReport,
} from "../../services.ts";
import { s3Client, s3Config } from "../../s3.ts";
import { postgresConfig } from "../../postgres.ts";
import { type GroupRun, startInGroup } from "../_shared/group.ts";
import {
  bucketNames as bucketNamesOn,
  itkitObjects as itkitObjectsOn,
  withAdmin as withAdminOn,
} from "../_shared/services.ts";

const ROOT = new URL("../../", import.meta.url);

/** What a run printed on its READY line, and its run ids. */
interface Held {
  dir: string;
  bucket: string;
  prefix: string;
  schema: string;
  tx: string;
  truncate: string;
  database: string;
  /** The test process's run id, and its clone helper's. */
  runIds: string[];
}

function held(words: string[]): Held {
  const [dir, bucket, prefix, schema, tx, truncate, database] = words as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const run = /-([0-9a-z]{12,13})-\d+$/.exec(bucket)![1]!;
  const helper = /_([0-9a-z]{12,13})_\d+$/.exec(database)![1]!;
  return {
    dir,
    bucket,
    prefix,
    schema,
    tx,
    truncate,
    database,
    runIds: [run, helper],
  };
}

/** `pid` and every process below it (the helpers run in sessions of their own). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...children.get(ppid) ?? [], Number(entry.name)]);
    } catch { /* gone */ }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    tree.push(...children.get(tree[i]!) ?? []);
  }
  return tree;
}

/**
 * Kills a run as a machine crash would: its test process, reaper and clone
 * helper, all stopped first so that none sees another die and cleans up.
 */
function killEverything(run: GroupRun): void {
  const pids = processTree(run.pid);
  for (const pid of pids) Deno.kill(pid, "SIGSTOP");
  for (const pid of pids) Deno.kill(pid, "SIGKILL");
}

/** `work`, or a failure saying `what` when it takes longer than `ms`. */
async function within<T>(
  ms: number,
  what: string,
  work: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(what)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("sweeps beside live runs on shared servers remove only what a killed run left, and never wait for a live one", async () => {
  // Private servers and temp dir: this test's runs are the only ones there.
  await using services = await provisionServices({ env: {} });
  const S3 = s3Config(services.env);
  const PG = postgresConfig(services.env);
  const tmp = await Deno.makeTempDir({ prefix: "itkit-shared-" });
  await Deno.chmod(tmp, 0o1777);
  const withAdmin = <T>(fn: (sql: postgres.Sql) => Promise<T>) =>
    withAdminOn(fn, undefined, PG);
  const admin = await s3Client(S3);
  // The shared bucket of prefix mode, and what the toolkit did not create.
  const shared = "team-tests";
  const userBuckets = [shared, "user-data-keep", "itkit-notarunid00-1"];
  for (const Bucket of userBuckets) {
    await admin.send(new CreateBucketCommand({ Bucket }));
  }
  await withAdmin((sql) => sql`create schema user_schema_keep`);
  const userDir = await Deno.makeTempDir({ dir: tmp, prefix: "itkit-user-" });
  const env = {
    ...services.env,
    TMPDIR: tmp,
    SHARED_BUCKET: shared,
    // The S3 lease expires 3 s after a dead run's last heartbeat.
    ITKIT_LEASE_TTL: "3000",
  };
  const runs: GroupRun[] = [];
  const releases = ["a", "b", "c"].map((x) => `${tmp}/release-${x}`);
  const releaseAll = () =>
    Promise.all(releases.map((path) => Deno.writeTextFile(path, "")));
  try {
    for (const release of releases) {
      runs.push(
        await startInGroup(["shared_run.ts"], {
          env: { ...env, RELEASE_FILE: release },
        }),
      );
    }
    const [a, b, c] = await Promise.all(
      runs.map(async (run) => held(await run.ready())),
    ) as [Held, Held, Held];
    killEverything(runs[2]!);
    const crashed = await runs[2]!.finish();
    assert.notEqual(crashed.code, 0, crashed.output);

    /** What is left of run `h` on the servers and in the temp dir. */
    const leftOf = async (h: Held): Promise<string[]> => {
      const { Contents = [] } = await admin.send(
        new ListObjectsCommand({ Bucket: shared }),
      );
      const all = [
        ...(await bucketNamesOn(S3)).map((name) => `bucket ${name}`),
        ...Contents.map((o) => `object ${shared}/${o.Key}`),
        ...await itkitObjectsOn(PG),
        ...[...Deno.readDirSync(tmp)].map((e) => `tmp ${e.name}`),
      ];
      return all.filter((line) => h.runIds.some((id) => line.includes(id)));
    };
    // The crash left everything of c behind.
    const crashedLeft = await leftOf(c);
    for (
      const name of [c.bucket, c.schema, c.tx, c.truncate, c.database]
    ) {
      assert.ok(crashedLeft.some((l) => l.includes(name)), String(crashedLeft));
    }

    // The leftover listings leave out what a and b hold, and list what c
    // left (its PostgreSQL lease went with its processes); asked to, they
    // list everything.
    const pgNames = (h: Held) => [h.schema, h.tx, h.truncate, h.database];
    const listed = (lines: string[], name: string) =>
      lines.some((line) =>
        line.endsWith(`.${name}`) || line.endsWith(` ${name}`)
      );
    const pgLeft = await listPostgresLeftovers(PG);
    const pgAll = await listPostgresLeftovers(PG, { includeLive: true });
    for (const name of [...pgNames(a), ...pgNames(b)]) {
      assert.ok(!listed(pgLeft, name), `${name} listed: ${pgLeft}`);
      assert.ok(listed(pgAll, name), `${name} not listed: ${pgAll}`);
    }
    for (const name of pgNames(c)) {
      assert.ok(listed(pgLeft, name), `${name} not listed: ${pgLeft}`);
    }
    const s3Left = await listBuckets(S3);
    const s3All = await listBuckets(S3, { includeLive: true });
    for (const { bucket } of [a, b]) {
      assert.ok(
        !s3Left.some((l) => l.startsWith(`bucket ${bucket} `)),
        String(s3Left),
      );
      assert.ok(
        s3All.some((l) => l.startsWith(`bucket ${bucket} `)),
        String(s3All),
      );
    }

    const sweeps: { report: SweepReport; via: string }[] = [];
    const cliSweep = async (): Promise<void> => {
      const { code, stdout, stderr } = await new Deno.Command(
        Deno.execPath(),
        {
          args: ["run", "-A", "cli.ts", "sweep", "--older-than", "0s"],
          cwd: ROOT,
          env: { ...env, NO_COLOR: "1" },
        },
      ).output();
      const out = new TextDecoder().decode(stdout);
      const err = new TextDecoder().decode(stderr);
      assert.equal(code, 0, out + err);
      const lines = out.split("\n");
      sweeps.push({
        via: `cli.ts sweep:\n${out}${err}`,
        report: {
          removed: lines.filter((l) => l.startsWith("removed "))
            .map((l) => l.slice(8)),
          inUse: lines.filter((l) => l.startsWith("left in use "))
            .map((l) => l.slice(12)),
          failed: [],
          stores: [],
        },
      });
    };
    const apiSweep = async (): Promise<void> => {
      const report = await sweep({
        olderThan: 0,
        s3: S3,
        postgres: PG,
        tmpDir: tmp,
        sharedBuckets: [shared],
      });
      sweeps.push({ via: `sweep(): ${JSON.stringify(report)}`, report });
    };
    // Sweeps, two at once (one from the command line) and then one after
    // another, while a and b hold their resources (and a transaction), until
    // c's are gone: none may wait for a live run, and so each ends while
    // a and b still hold everything.
    await within(
      60_000,
      "a sweep waited for a live run",
      Promise.all([cliSweep(), apiSweep()]),
    );
    let left = await leftOf(c);
    for (let i = 0; left.length > 0; i++) {
      assert.ok(i < 100, `c's resources were never all swept: ${left}`);
      await within(60_000, "a sweep waited for a live run", apiSweep());
      left = await leftOf(c);
    }
    await within(60_000, "a sweep waited for a live run", cliSweep());

    for (const { via, report } of sweeps) {
      assert.deepEqual(report.failed, [], via);
      for (const line of report.removed) {
        for (const id of [...a.runIds, ...b.runIds]) {
          assert.ok(
            !line.includes(id),
            `${via}\nremoved ${line} of a live run`,
          );
        }
      }
      for (const h of [a, b]) {
        assert.ok(
          report.inUse.some((l) => l.startsWith(`bucket ${h.bucket}: `)),
          `${via}\nbucket ${h.bucket} not reported in use`,
        );
      }
    }
    const api = sweeps.filter((s) => s.report.stores.length > 0);
    for (const { report, via } of api) {
      assert.deepEqual(report.stores.map((s) => s.status), [
        "swept",
        "swept",
        "swept",
      ], via);
    }
    // Everything of c went.
    const removed = sweeps.flatMap((s) => s.report.removed);
    for (
      const what of [
        `bucket ${c.bucket}`,
        `prefix ${c.prefix}`,
        `schema ${PG.database}.${c.schema}`,
        `schema ${PG.database}.${c.tx}`,
        `database ${c.truncate}`,
        `database ${c.database}`,
      ]
    ) {
      assert.ok(removed.includes(what), `${what} not in ${removed}`);
    }

    // a and b held everything throughout: their checks pass.
    await releaseAll();
    for (const run of runs.slice(0, 2)) {
      const { code, output, failed } = await run.finish();
      assert.equal(code, 0, output);
      assert.match(output, /^CHECKED$/m, output);
      assert.deepEqual(failed, [], output);
    }
    // Nothing else was touched, and nothing is left.
    assert.deepEqual(
      await listBuckets(S3, { includeLive: true }),
      userBuckets.toSorted().map((name) => `bucket ${name} (0 objects)`),
    );
    assert.deepEqual(await listPostgresLeftovers(PG, { includeLive: true }), [
      `schema ${PG.database}.user_schema_keep`,
    ]);
    const names = [...Deno.readDirSync(tmp)].map((e) => e.name).sort();
    assert.deepEqual(
      names.filter((n) => !n.startsWith("release-")),
      [userDir.slice(tmp.length + 1)],
    );
  } finally {
    await releaseAll();
    for (const run of runs) await run[Symbol.asyncDispose]();
    for (const Bucket of userBuckets) {
      await admin.send(new DeleteBucketCommand({ Bucket })).catch(() => {});
    }
    admin.destroy();
    await withAdmin((sql) => sql`drop schema if exists user_schema_keep`);
    await Deno.remove(tmp, { recursive: true });
  }
});

/** A run id made `ago` milliseconds ago (the sweep reads its age from it). */
function runIdFrom(ago: number): string {
  return (Date.now() - ago).toString(36) + "dead";
}

Deno.test("the sweep reads every page of a shared bucket's key prefixes", async () => {
  // A store that, as S3 and RGW do, answers at most 1,000 keys and prefixes
  // a page (s3rver pages keys only): a dead run's prefix is on the second
  // page, after 1,000 prefixes of the bucket's other users.
  const dead = `itkit-${runIdFrom(2 * 3_600_000)}-1/`;
  const others = Array.from(
    { length: 1_000 },
    (_, i) => `app-${String(i).padStart(4, "0")}/`,
  );
  const pages: string[][] = [others, [dead]];
  const seen: string[] = [];
  await using store = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      seen.push(`${request.method} ${url.pathname}${url.search}`);
      const xml = (body: string) =>
        new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, {
          headers: { "content-type": "application/xml" },
        });
      if (url.pathname === "/") {
        return xml(
          `<ListAllMyBucketsResult><Owner><ID>o</ID></Owner><Buckets><Bucket><Name>shared</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`,
        );
      }
      if (url.pathname === "/shared/" && request.method === "GET") {
        const marker = url.searchParams.get("marker");
        const page = marker === null ? 0 : 1;
        const truncated = page === 0;
        return xml(
          `<ListBucketResult><Name>shared</Name><Prefix></Prefix><Marker>${
            marker ?? ""
          }</Marker>${
            truncated ? `<NextMarker>${others.at(-1)}</NextMarker>` : ""
          }<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>${truncated}</IsTruncated>${
            pages[page]!.map((p) =>
              `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`
            )
              .join("")
          }</ListBucketResult>`,
        );
      }
      return new Response(null, { status: 404 });
    },
  );
  const report = await sweep({
    olderThan: 0,
    dryRun: true,
    postgres: false,
    tmpDir: false,
    sharedBuckets: ["shared"],
    s3: s3Config({
      S3_ENDPOINT: `http://127.0.0.1:${store.addr.port}`,
      S3_ACCESS_KEY: "key",
      S3_SECRET_KEY: "secret",
    }),
  });
  const s3 = report.stores.find((s) => s.store === "s3");
  assert.equal(s3?.status, "swept", `${s3?.reason}\n${seen.join("\n")}`);
  assert.deepEqual(report.removed, [`prefix shared/${dead}`], seen.join("\n"));
});
