import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/**
 * Runs tests/run/testdata/launcher_cache.ts for `launcher` with
 * `ITKIT_CACHE_DIR=cacheDir`.
 */
async function start(
  launcher: "pglite" | "postgres",
  cacheDir: string,
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("deno.json", ROOT).pathname,
      new URL("tests/run/testdata/launcher_cache.ts", ROOT).pathname,
      launcher,
    ],
    env: { ITKIT_CACHE_DIR: cacheDir, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/**
 * `tar` with one more file, `/postgresql.auto.conf` (extracted after the
 * original, so it wins), setting `cluster_name`: a mark that shows in a
 * server started from that data directory.
 */
function marked(tar: Uint8Array, clusterName: string): Uint8Array {
  const octal = (n: number, width: number) =>
    n.toString(8).padStart(width - 1, "0") + "\0";
  // The end of the archive: the first all-zero header block.
  let end = 0;
  while (
    end + 512 <= tar.length && tar.subarray(end, end + 512).some(Boolean)
  ) {
    const size = parseInt(
      new TextDecoder().decode(tar.subarray(end + 124, end + 136)),
      8,
    );
    end += 512 + Math.ceil(size / 512) * 512;
  }
  const body = new TextEncoder().encode(`cluster_name = '${clusterName}'\n`);
  const header = new Uint8Array(512);
  const put = (at: number, text: string) =>
    header.set(new TextEncoder().encode(text), at);
  put(0, "/postgresql.auto.conf");
  put(100, octal(0o600, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(body.length, 12));
  put(136, octal(Math.floor(Date.now() / 1000), 12));
  put(148, "        ");
  put(156, "0");
  put(257, "ustar\u000000");
  put(148, octal(header.reduce((sum, b) => sum + b, 0), 7) + " ");
  const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
  padded.set(body);
  const out = new Uint8Array(end + 512 + padded.length + 1024);
  out.set(tar.subarray(0, end));
  out.set(header, end);
  out.set(padded, end + 512);
  return out;
}

Deno.test("startPglite() replaces a cached data directory that does not load, and later starts load the cached one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "itkit-pglite-cache-" });
  try {
    const { version } = JSON.parse(
      await Deno.readTextFile(new URL("deno.json", ROOT)),
    ).imports["@electric-sql/pglite"].match(/@(?<version>[\d.]+)$/).groups;
    const file = `${dir}/pglite-${version}-datadir.tar`;
    // A cache file that is not a data directory (a disk error, a bad copy).
    await Deno.writeTextFile(file, "not a tar file");
    let run = await start("pglite", dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /CLUSTER NAME ""/);
    // Replaced by the fresh directory (a tar archive), nothing else left.
    const tar = await Deno.readFile(file);
    assert.equal(
      new TextDecoder().decode(tar.subarray(257, 262)),
      "ustar",
      `${tar.length} bytes`,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      `pglite-${version}-datadir.tar`,
    ]);
    // The next start loads what the cache holds (marked here).
    await Deno.writeFile(file, marked(tar, "itkit_cache_marker"));
    run = await start("pglite", dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /CLUSTER NAME "itkit_cache_marker"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startPostgresServer() copies the data directory initdb made for an earlier cluster, and runs initdb again when the copy does not start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "itkit-cluster-cache-" });
  try {
    // What a writer killed an hour ago left: removed by the next writer.
    const stale = `${dir}/postgres-datadir-0.1.x.partial`;
    await Deno.mkdir(stale);
    await Deno.utime(
      stale,
      new Date(Date.now() - 3_600_000),
      new Date(Date.now() - 3_600_000),
    );
    let run = await start("postgres", dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /CLUSTER NAME ""/);
    // What initdb made, kept whole (nothing partial beside it).
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(names.length, 1, `${names}`);
    const cached = `${dir}/${names[0]}`;
    assert.match(await Deno.readTextFile(`${cached}/PG_VERSION`), /^\d+\n$/);
    // The next cluster starts from it (marked here).
    await Deno.writeTextFile(
      `${cached}/postgresql.auto.conf`,
      "cluster_name = 'itkit_cache_marker'\n",
      { append: true },
    );
    run = await start("postgres", dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /CLUSTER NAME "itkit_cache_marker"/);
    // A cached directory that does not start (its control file damaged):
    // the cluster is made by initdb after all, and the cache replaced.
    await Deno.writeTextFile(`${cached}/global/pg_control`, "damaged");
    run = await start("postgres", dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /CLUSTER NAME ""/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), names);
    assert.notEqual(
      await Deno.readTextFile(`${cached}/global/pg_control`).catch(() => ""),
      "damaged",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
