import assert from "node:assert/strict";
import { checkDeps, scan } from "../../tools/check_deps.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("the repository follows the rules of deps.json", () => {
  assert.deepEqual(checkDeps(ROOT), []);
});

/** Writes a small tree: `files` by path, plus its deno.json and deps.json. */
function fixtureTree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "itkit_deps_" });
  const all: Record<string, string> = {
    "deno.json": JSON.stringify({ exports: { ".": "./mod.ts" } }),
    "deps.json": JSON.stringify({
      roots: ["src/", "tests/"],
      groups: {
        "<entries>": ["src/"],
        "src/util/": [],
        "src/core/": ["src/util/"],
        "tests/": ["<entries>"],
      },
      seams: [{
        from: "tests/seam_test.ts",
        to: "src/core/_inner.ts",
        names: ["hook"],
        why: "a test-only hook",
      }],
    }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    const dir = `${root}/${path}`.replace(/\/[^/]*$/, "");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${root}/${path}`, text);
  }
  return root;
}

const CLEAN = {
  "mod.ts": 'export { run } from "./src/core/run.ts";\n',
  "src/core/run.ts":
    'import { hook } from "./_inner.ts";\nimport { pad } from "../util/text.ts";\nexport function run(): string {\n  return pad(hook());\n}\n',
  "src/core/_inner.ts": 'export function hook(): string {\n  return "";\n}\n',
  "src/util/text.ts":
    "export function pad(s: string): string {\n  return s;\n}\n",
  "tests/seam_test.ts":
    'import { hook } from "../src/core/_inner.ts";\nhook();\n',
  "tests/run_test.ts": 'import { run } from "../../mod.ts";\nrun();\n',
};

Deno.test("check_deps passes a tree that follows its rules", () => {
  const root = fixtureTree(CLEAN);
  try {
    assert.deepEqual(checkDeps(root), []);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("check_deps names each import that breaks a rule, and exits 1", async () => {
  const root = fixtureTree({
    ...CLEAN,
    // layer: util imports nothing of the toolkit.
    "src/util/text.ts":
      '\nimport { run } from "../core/run.ts";\nexport function pad(s: string): string {\n  return s + run.name;\n}\n',
    // layer: a test reaches into src without a seam.
    "tests/run_test.ts":
      'import { run } from "../../mod.ts";\nimport { pad } from "../../src/util/text.ts";\nrun();\npad("");\n',
    // seam: a name the seam does not list.
    "tests/seam_test.ts":
      'import { hook, other } from "../src/core/_inner.ts";\nhook();\nother();\n',
    // public: run.ts exports an internal the entry point does not re-export.
    "src/core/run.ts":
      'import { hook } from "./_inner.ts";\nimport { pad } from "../util/text.ts";\nexport function run(): string {\n  return pad(hook());\n}\nexport const internal = 1;\n',
  });
  try {
    assert.deepEqual(checkDeps(root), [
      "src/core/run.ts:1: exports internal, which no entry point re-exports: public: a file an entry point re-exports from exports only what entry points re-export (move the rest to a _ file)",
      "src/core/run.ts:2: imports src/util/text.ts: cycle: src/core/run.ts -> src/util/text.ts -> src/core/run.ts (the code reads bottom-up: move what both sides need below them)",
      "src/util/text.ts:2: imports src/core/run.ts: layer: src/util/ may import nothing of the toolkit",
      "tests/run_test.ts:2: imports src/util/text.ts: layer: tests/ may import <entries>",
      "tests/seam_test.ts:1: imports other from src/core/_inner.ts: seam: the seam lists only hook",
    ]);
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        new URL("../../tools/check_deps.ts", import.meta.url).pathname,
        root,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    assert.equal(code, 1);
    assert.match(
      new TextDecoder().decode(stdout),
      /^src\/util\/text\.ts:2: imports src\/core\/run\.ts: layer:/m,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("check_deps: a _ file is private to its folder, an entry point never imports one", () => {
  const root = fixtureTree({
    ...CLEAN,
    "mod.ts":
      'export { run } from "./src/core/run.ts";\nexport { hook } from "./src/core/_inner.ts";\n',
    "src/util/_pad.ts": "export const PAD = 1;\n",
    "src/core/run.ts":
      'import { hook } from "./_inner.ts";\nimport { PAD } from "../util/_pad.ts";\nexport function run(): string {\n  return hook() + PAD;\n}\n',
  });
  try {
    assert.deepEqual(checkDeps(root), [
      "mod.ts:2: imports src/core/_inner.ts: private: an entry point never imports a file whose name starts with _",
      "src/core/run.ts:2: imports src/util/_pad.ts: private: a file whose name starts with _ is imported only from its own folder (src/util/) or through a seam of deps.json",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("check_deps reports an import circle once, with its way round; a module URL is no import", () => {
  const root = fixtureTree({
    ...CLEAN,
    "src/core/run.ts":
      'import { hook } from "./_inner.ts";\nimport { pad } from "../util/text.ts";\nexport function run(): string {\n  return pad(hook());\n}\n',
    "src/core/_inner.ts":
      'import type { run } from "./run.ts";\nexport function hook(): string {\n  return "" as ReturnType<typeof run>;\n}\n',
    "src/util/text.ts":
      'const SELF = new URL("./text.ts", import.meta.url);\nexport function pad(s: string): string {\n  return s + SELF.href.length;\n}\n',
  });
  try {
    assert.deepEqual(checkDeps(root), [
      "src/core/_inner.ts:1: imports src/core/run.ts: cycle: src/core/_inner.ts -> src/core/run.ts -> src/core/_inner.ts (the code reads bottom-up: move what both sides need below them)",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("check_deps reports an unused seam", () => {
  const root = fixtureTree({
    ...CLEAN,
    "tests/seam_test.ts": 'import { run } from "../../mod.ts";\nrun();\n',
  });
  try {
    assert.deepEqual(checkDeps(root), [
      "deps.json: seam tests/seam_test.ts -> src/core/_inner.ts is not used: seam: remove it",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("scan() finds imports, re-exports, dynamic imports and module URLs, not text in strings or comments", () => {
  const { references, exports } = scan(
    [
      'import a, { b, type C } from "./x.ts";',
      '// import { no } from "./comment.ts";',
      'const s = `import { no } from "./template.ts"`;',
      'export { d as e } from "./y.ts";',
      'const m = await import("./z.ts");',
      'const u = new URL("./w.ts", import.meta.url);',
      "export function f(): void {}",
      'import x from "npm:left-alone";',
    ].join("\n"),
  );
  assert.deepEqual(
    references.map((r) => [r.specifier, r.line, r.reexport, r.names]),
    [
      ["./x.ts", 1, false, ["default", "b", "C"]],
      ["./y.ts", 4, true, ["d"]],
      ["./z.ts", 5, false, ["*"]],
      ["./w.ts", 6, false, ["*"]],
    ],
  );
  assert.deepEqual(exports, ["e", "f"]);
});
