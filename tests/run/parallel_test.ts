import assert from "node:assert/strict";
import { expectRun, runDenoTest } from "../_shared/harness.ts";
import { bucketNames, itkitObjects } from "../_shared/services.ts";

Deno.test("eight test files under --parallel sharing the servers never see each other's data", async () => {
  const files = "abcdefgh".split("").map((x) => `parallel_${x}.ts`);
  const bucketsBefore = await bucketNames();
  const objectsBefore = await itkitObjects();
  const run = await runDenoTest(files, { args: ["--parallel"] });
  expectRun(run, run.code === 0, "every file should pass");
  assert.equal(run.passed, 32);
  for (const x of "abcdefgh") {
    assert.equal(
      [...run.output.matchAll(
        new RegExp(
          `SEEN file-${x}: objects=file-${x}\\.txt rows=file-${x} tx=file-${x}$`,
          "gm",
        ),
      )].length,
      4,
    );
  }
  assert.deepEqual(await bucketNames(), bucketsBefore);
  assert.deepEqual(await itkitObjects(), objectsBefore);
});

for (const scope of ["test", "module"]) {
  Deno.test(`under --parallel, a ${scope}-scoped env fixture's values reach no other file's probes, configuration or tests`, async () => {
    // The setter's env fixture keeps its values in place until the prober has
    // probed at load and the user's test has read the environment, unless
    // they are held off (tests/run/testdata/_parallel_gate.ts).
    const gates = await Deno.makeTempDir({ prefix: "itkit-gates-" });
    try {
      const run = await runDenoTest([
        "parallel_env_setter.ts",
        "parallel_env_prober.ts",
        "parallel_env_user.ts",
      ], {
        args: ["--parallel"],
        env: {
          DENO_JOBS: "3",
          ITKIT_GATE_DIR: gates,
          ITKIT_SETTER_SCOPE: scope,
          ITKIT_REAL_DATABASE_URL: Deno.env.get("DATABASE_URL")!,
          ITKIT_REAL_S3_ENDPOINT: Deno.env.get("S3_ENDPOINT")!,
        },
      });
      expectRun(run, run.code === 0, "every file should pass");
      // A module scope adds no test of its own.
      const tests = 5;
      expectRun(
        run,
        run.passed === tests && run.failed === 0 && run.ignored === 0,
        `${tests} tests should pass, none be ignored`,
      );
      expectRun(
        run,
        run.output.includes("PROBED postgres ok, s3 ok"),
        "the prober should reach both services",
      );
    } finally {
      await Deno.remove(gates, { recursive: true });
    }
  });
}

Deno.test("under --parallel, the wait for another file's env fixture counts in a test's budget: it fails in time, naming the wait", async () => {
  const gates = await Deno.makeTempDir({ prefix: "itkit-gates-" });
  try {
    const run = await runDenoTest([
      "parallel_env_holder.ts",
      "parallel_env_waiter.ts",
    ], {
      args: ["--parallel"],
      env: { DENO_JOBS: "2", ITKIT_GATE_DIR: gates },
    });
    expectRun(
      run,
      /(^|=> )\[integration\] a short budget runs out waiting for the env lock \.\.\. FAILED/m
        .test(run.output),
      "the test with a short budget fails",
    );
    assert.match(
      run.output,
      /IntegrationTimeoutError: Test timeout of 500 ms exceeded while waiting for another file's env fixture \(deno test --parallel\)/,
    );
    assert.doesNotMatch(run.output, /BODY RAN/);
    // The holder was not held up; the lock that came late was given back.
    expectRun(
      run,
      /(^|=> )\[integration\] a module-scoped env fixture holds on \.\.\. ok/m
        .test(run.output) &&
        /(^|=> )\[integration\] a later test runs once the other file's env fixture is gone \.\.\. ok/m
          .test(run.output) &&
        /^LATER sees nothing$/m.test(run.output),
      "the holder and the later test pass",
    );
  } finally {
    await Deno.remove(gates, { recursive: true });
  }
});
