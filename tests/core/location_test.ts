// Where a user's tools see an integration test: Deno's failure list, the
// JUnit report (what editors' test explorers and CI read), TAP and dot
// reporters name the line of the user's `integration()` call, not the
// toolkit's own `Deno.test` call; `--filter` still selects by name.
import assert from "node:assert/strict";
import {
  type DenoTestRun,
  expectRun,
  runDenoTest,
} from "../_shared/harness.ts";

const FILE = "./tests/core/testdata/location.ts";

Deno.test("the failure list names the line of the user's integration() call", async () => {
  const run = await runDenoTest(["location.ts"]);
  expectRun(run, run.failed === 1 && run.passed === 1, "one fails, one passes");
  assert.match(run.output, /\[integration\] fails here => (\S+)/);
  const places = [
    ...run.output.matchAll(/\[integration\] fails here => (\S+)/g),
  ]
    .map((m) => m[1]);
  assert.deepEqual([...new Set(places)], [`${FILE}:8:1`]);
  assert.doesNotMatch(run.output, /=> \.\/src\//);
});

/** The report's test cases as `name file:line:col`. */
async function junitCases(
  args: string[],
): Promise<{ run: DenoTestRun; cases: string[] }> {
  const path = await Deno.makeTempFile({ suffix: ".xml" });
  try {
    const run = await runDenoTest(["location.ts"], {
      args: [`--junit-path=${path}`, ...args],
    });
    expectRun(run, run.passed === 1, "the grouped test passes");
    const xml = await Deno.readTextFile(path);
    assert.match(xml, new RegExp(`<testsuite name="${FILE}"`));
    const cases = [
      ...xml.matchAll(
        /<testcase name="([^"]*)" classname="([^"]*)"[^>]* line="(\d+)" col="(\d+)"/g,
      ),
    ].map(([, name, file, line, col]) => `${name} ${file}:${line}:${col}`);
    return { run, cases };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("the JUnit report files each test under the user's file and line", async () => {
  assert.deepEqual((await junitCases([])).cases, [
    `[integration] fails here ${FILE}:8:1`,
    `[integration] grouped &gt; passes here ${FILE}:13:3`,
  ]);
});

Deno.test("the TAP and dot reporters name the user's file and line", async () => {
  const tap = await runDenoTest(["location.ts"], { args: ["--reporter=tap"] });
  assert.match(
    tap.output,
    new RegExp(`"at":\\{"file":"${FILE}","line":8\\}`),
  );
  const dot = await runDenoTest(["location.ts"], { args: ["--reporter=dot"] });
  assert.match(
    dot.output,
    new RegExp(`\\[integration\\] fails here => ${FILE}:8:1`),
  );
});

Deno.test("--filter still selects integration tests by name, reported at their line", async () => {
  const { run, cases } = await junitCases(["--filter", "passes here"]);
  expectRun(
    run,
    run.code === 0 && run.filtered === 1,
    "the failing test is filtered out",
  );
  // The report lists the filtered test as skipped, at its own line.
  assert.deepEqual(cases, [
    `[integration] fails here ${FILE}:8:1`,
    `[integration] grouped &gt; passes here ${FILE}:13:3`,
  ]);
});
