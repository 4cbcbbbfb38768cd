// The docs link to each other (the README to docs/*.md, the pages back to the
// README's sections): every relative link and #anchor must land on a file and
// a heading that exist, and a page the published package holds must link only
// to pages it also holds (JSR renders the README; a link to a file left out
// of `publish.include` is a dead link there).
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The pages whose links are checked, relative to the repository root. */
async function pages(): Promise<string[]> {
  const found = [
    "README.md",
    "CONTRIBUTING.md",
    "ARCHITECTURE.md",
    "BENCHMARKS.md",
  ];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      found.push(`docs/${entry.name}`);
    }
  }
  return found.sort();
}

/** The text outside fenced code blocks, with the fences' lines blanked. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** GitHub's anchor for a heading's text (github-slugger's rules). */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a page's headings make, duplicates numbered as GitHub does. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

/** The relative links of a page (not in code), with their line numbers. */
function links(page: string, markdown: string): Link[] {
  const found: Link[] = [];
  prose(markdown).forEach((text, index) => {
    const outsideCode = text.replace(/`[^`]*`/g, "");
    for (const match of outsideCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      found.push({ page, line: index + 1, target });
    }
  });
  return found;
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The path of `url` relative to the repository root. */
function relative(url: URL): string {
  return decodeURIComponent(url.pathname.slice(ROOT.pathname.length));
}

const texts = new Map<string, string>();
for (const page of await pages()) {
  texts.set(page, await Deno.readTextFile(new URL(page, ROOT)));
}

Deno.test("every relative link and #anchor in the docs points at an existing file and heading", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const [page, text] of texts) {
    for (const link of links(page, text)) {
      checked++;
      const [path, anchor] = link.target.split("#", 2) as [string, string?];
      const url = path === ""
        ? new URL(page, ROOT)
        : new URL(path, new URL(page, ROOT));
      const where = `${link.page}:${link.line}: (${link.target})`;
      if (!url.href.startsWith(ROOT.href) || !(await exists(url))) {
        broken.push(`${where} names no file of the repository`);
        continue;
      }
      if (anchor === undefined) continue;
      const target = relative(url);
      if (!target.endsWith(".md")) {
        broken.push(`${where} has an anchor into a file that is not a page`);
        continue;
      }
      const targetText = texts.get(target) ?? await Deno.readTextFile(url);
      if (!anchors(targetText).has(anchor)) {
        broken.push(`${where} names no heading of ${target}`);
      }
    }
  }
  assert.ok(checked >= 50, `found only ${checked} relative links`);
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("a published page links only to files the package publishes, and the README and the docs it links to are published", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const include: string[] = config.publish.include;
  const published = (path: string): boolean =>
    include.some((entry) =>
      entry.endsWith("/") ? path.startsWith(entry) : path === entry
    );
  assert.ok(published("README.md"), "README.md is not in publish.include");
  const unpublished: string[] = [];
  for (const [page, text] of texts) {
    if (!published(page)) continue;
    for (const link of links(page, text)) {
      const path = link.target.split("#", 1)[0]!;
      const target = path === ""
        ? page
        : relative(new URL(path, new URL(page, ROOT)));
      if (!published(target)) {
        unpublished.push(
          `${link.page}:${link.line}: (${link.target}) links to ${target}, which publish.include leaves out`,
        );
      }
    }
  }
  assert.deepEqual(unpublished, [], unpublished.join("\n"));
});
