// README snippets are copies of example files: this keeps them identical.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

Deno.test("every README snippet is identical to the example file it names", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const snippets = [
    ...readme.matchAll(/<!-- snippet: (\S+) -->\n\n```ts\n([\s\S]*?)```/g),
  ];
  assert.ok(snippets.length >= 3, `found ${snippets.length} snippets`);
  for (const [, path, code] of snippets) {
    const file = await Deno.readTextFile(new URL(path, ROOT));
    assert.equal(code, file, `README snippet of ${path} differs from the file`);
  }
});
