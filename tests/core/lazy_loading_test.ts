import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function runNoNpm(
  code: string,
): Promise<{ success: boolean; output: string }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      code.replaceAll("S3MOD", new URL("s3.ts", ROOT).href)
        .replaceAll("PGMOD", new URL("postgres.ts", ROOT).href)
        .replaceAll("MOD", new URL("mod.ts", ROOT).href),
    );
    const { success, stdout, stderr } = await new Deno.Command(
      Deno.execPath(),
      {
        // --no-npm: any npm package that gets loaded makes the run fail.
        args: [
          "run",
          "--no-npm",
          "--no-check",
          "-A",
          "--config",
          new URL("deno.json", ROOT).pathname,
          file,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      },
    ).output();
    return {
      success,
      output: new TextDecoder().decode(stdout) +
        new TextDecoder().decode(stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("importing every entry point loads neither the AWS SDK nor postgres.js", async () => {
  const run = await runNoNpm(`
    import "MOD";
    import "S3MOD";
    import "PGMOD";
    console.log("ENTRY POINTS OK");
  `);
  assert.ok(run.success, run.output);
  assert.match(run.output, /ENTRY POINTS OK/);
});

Deno.test("importing mod.ts and using the local fixtures loads neither the AWS SDK, postgres.js nor msw", async () => {
  const run = await runNoNpm(`
    import { env, fetchMock, probeTcp, tmpDir } from "MOD";
    await using dir = await tmpDir();
    await using vars = await env({ vars: { X: "1" } });
    console.log(fetchMock.kind);
    await probeTcp("127.0.0.1", 9);
    console.log("LOCAL FIXTURES OK");
  `);
  assert.ok(run.success, run.output);
  assert.match(run.output, /LOCAL FIXTURES OK/);
});

Deno.test("the fetch mock loads msw only when used, and a failed load leaves no mock installed", async () => {
  const run = await runNoNpm(`
    import { fetchMock } from "MOD";
    for (const attempt of [1, 2]) {
      try {
        await fetchMock();
      } catch (error) {
        console.log("ATTEMPT " + attempt + ": " + error.message);
      }
    }
  `);
  const attempts = run.output.split("\n").filter((l) =>
    l.startsWith("ATTEMPT")
  );
  assert.equal(attempts.length, 2, run.output);
  for (const line of attempts) assert.match(line, /npm/i);
  assert.doesNotMatch(run.output, /already installed/);
});

Deno.test("the S3 and PostgreSQL fixtures load their packages only when used", async () => {
  const s3 = await runNoNpm(`
    import { s3Bucket } from "S3MOD";
    await s3Bucket({ config: { endpoint: new URL("http://127.0.0.1:9"), accessKeyId: "a", secretAccessKey: "b", region: "us-east-1" } });
  `);
  assert.equal(s3.success, false);
  assert.match(s3.output, /npm/i);
  const pg = await runNoNpm(`
    import { postgresDatabase } from "PGMOD";
    await postgresDatabase({ config: { host: "127.0.0.1", port: 9, user: "u", password: "", database: "d" } });
  `);
  assert.equal(pg.success, false);
  assert.match(pg.output, /npm/i);
});
