// README and docs snippets are copies of example files: this keeps them
// identical.
import assert from "node:assert/strict";
import { EXCLUDE_INTEGRATION_FILTER } from "../../mod.ts";
import { runDenoTest } from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);

/** The pages that may carry snippets, relative to the repository root. */
async function pages(): Promise<string[]> {
  const found = ["README.md", "CONTRIBUTING.md"];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      found.push(`docs/${entry.name}`);
    }
  }
  return found.sort();
}

Deno.test("every snippet of the README, docs/*.md and CONTRIBUTING.md is identical to the example file it names", async () => {
  const counts: Record<string, number> = {};
  for (const page of await pages()) {
    const text = await Deno.readTextFile(new URL(page, ROOT));
    const markers = text.match(/^<!-- snippet: \S+ -->$/gm) ?? [];
    const snippets = [
      ...text.matchAll(/^<!-- snippet: (\S+) -->\n\n```ts\n([\s\S]*?)^```$/gm),
    ];
    assert.equal(
      snippets.length,
      markers.length,
      `${page}: a snippet marker is not followed by a blank line and a ts block`,
    );
    counts[page] = snippets.length;
    for (const [, path, code] of snippets) {
      const file = await Deno.readTextFile(new URL(path!, ROOT));
      assert.equal(
        code,
        file,
        `${page}: the snippet of ${path} differs from the file`,
      );
    }
  }
  assert.ok(
    counts["README.md"]! >= 3,
    `README.md has ${counts["README.md"]} snippets`,
  );
  const inDocs = Object.entries(counts)
    .filter(([page]) => page.startsWith("docs/"))
    .reduce((sum, [, n]) => sum + n, 0);
  assert.ok(inDocs >= 5, `docs/*.md have ${inDocs} snippets`);
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
