// README snippets are copies of example files: this keeps them identical.
import assert from "node:assert/strict";
import { EXCLUDE_INTEGRATION_FILTER } from "../mod.ts";
import { runDenoTest } from "./_harness.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("every README snippet is identical to the example file it names", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const snippets = [
    ...readme.matchAll(/<!-- snippet: (\S+) -->\n\n```ts\n([\s\S]*?)```/g),
  ];
  assert.ok(snippets.length >= 3, `found ${snippets.length} snippets`);
  for (const [, path, code] of snippets) {
    const file = await Deno.readTextFile(new URL(path!, ROOT));
    assert.equal(code, file, `README snippet of ${path} differs from the file`);
  }
});

Deno.test("the README shows the exact exclude filter and the .env task works", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  assert.ok(readme.includes(`\n${EXCLUDE_INTEGRATION_FILTER}\n`));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/.env.test`,
      "S3_ENDPOINT=http://127.0.0.1:1234\nDATABASE_URL=postgres://app:pw@127.0.0.1:6543/shop\n",
    );
    const run = await runDenoTest(["print_config.ts"], {
      args: [`--env-file=${dir}/.env.test`],
      unset: ["S3_ENDPOINT", "DATABASE_URL"],
    });
    assert.match(run.output, /^S3 http:\/\/127\.0\.0\.1:1234\/$/m, run.output);
    assert.match(
      run.output,
      /^PG postgres:\/\/app:\*\*\*@127\.0\.0\.1:6543\/shop$/m,
      run.output,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
