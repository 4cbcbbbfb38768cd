// `deno task check`'s layering step: reads the rules in `deps.json` (which
// folder may import which, the seams tests and tools may use) and the entry
// points in `deno.json` `exports`, reads every TypeScript file the rules cover,
// and prints one line per import that breaks a rule, naming the importer, the
// imported file and the rule. Exits 1 on any.
//
//   deno run --allow-read tools/check_deps.ts [root]
//
// An import is a static `import`/`export ... from`, an `import("...")` with a
// literal specifier, or a `new URL("./x.ts", import.meta.url)` (a module the
// file spawns or has the reaper load); only relative specifiers count. The
// rules (ARCHITECTURE.md says why):
//
// - layer: a file imports from its own group and the groups its group lists
//   in `deps.json` `groups` (a group is a path prefix; the longest matches).
// - private: an entry point never imports a file whose name starts with `_`,
//   and a file of another folder imports one only through a seam.
// - public: a file an entry point re-exports from exports only what the entry points
//   re-export from it (what else its folder needs goes in a `_` file), or
//   the names `deps.json` `internal` lists for it with the reason.
// - seam: each seam (an import the rules above do not allow, listed with the
//   reason) is still used, and only for the names it lists.
// - rule: every file the rules cover is in a group.
// - cycle: no import circle among the toolkit's files (static, type-only and
//   dynamic imports alike; a module URL spawns a program, it imports nothing):
//   the code reads bottom-up.

/** A relative import of one file, as found in its text. */
export interface Reference {
  /** The specifier as written. */
  specifier: string;
  /** The names it imports or re-exports (`*` for all; empty for none). */
  names: string[];
  /** Whether it re-exports (`export ... from`). */
  reexport: boolean;
  /** The 1-based line of the specifier. */
  line: number;
  /** Whether it is a `new URL(..., import.meta.url)` (spawned, not imported). */
  url?: boolean;
}

/** What one file imports and exports. */
export interface Scan {
  /** Its relative imports, re-exports and `new URL(..., import.meta.url)`. */
  references: Reference[];
  /** The names it exports (declarations, lists and re-exports). */
  exports: string[];
}

type Token =
  | { kind: "name"; text: string; line: number }
  | { kind: "string"; text: string; line: number }
  | { kind: "template"; line: number }
  | { kind: "punct"; text: string; line: number };

/** Keywords after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "case",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "else",
  "do",
  "yield",
  "await",
]);

/**
 * Splits TypeScript into names, strings and punctuation, skipping comments,
 * regular expressions and the text of template literals (their `${}` parts are
 * scanned as code).
 */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  /** For each open `{`: whether it opened a template's `${`. */
  const braces: boolean[] = [];
  let line = 1;
  let i = 0;
  const n = source.length;
  const regexAllowed = (): boolean => {
    const last = tokens.at(-1);
    if (last === undefined) return true;
    if (last.kind === "string" || last.kind === "template") return false;
    if (last.kind === "name") return BEFORE_REGEX.has(last.text);
    return !(last.text === ")" || last.text === "]" || last.text === "}");
  };
  /** Skips template text from `i` to its end or its next `${`. */
  const templateText = (): void => {
    while (i < n) {
      const c = source[i]!;
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === "\n") line++;
      if (c === "`") {
        i++;
        return;
      }
      if (c === "$" && source[i + 1] === "{") {
        i += 2;
        braces.push(true);
        return;
      }
      i++;
    }
  };
  while (i < n) {
    const c = source[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      for (let j = i; j < stop; j++) if (source[j] === "\n") line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      const start = line;
      let text = "";
      i++;
      while (i < n && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          text += source[i + 1] ?? "";
          i += 2;
        } else {
          text += source[i];
          i++;
        }
      }
      i++;
      tokens.push({ kind: "string", text, line: start });
    } else if (c === "`") {
      tokens.push({ kind: "template", line });
      i++;
      templateText();
    } else if (c === "/" && regexAllowed()) {
      let inClass = false;
      i++;
      while (i < n && source[i] !== "\n") {
        const d = source[i]!;
        if (d === "\\") {
          i += 2;
          continue;
        }
        if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        i++;
      }
      i++;
      while (i < n && /[a-z]/.test(source[i]!)) i++;
      tokens.push({ kind: "punct", text: "/re/", line });
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(source[j]!)) j++;
      tokens.push({ kind: "name", text: source.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j]!)) j++;
      tokens.push({ kind: "name", text: "0", line });
      i = j;
    } else if (c === "{") {
      braces.push(false);
      tokens.push({ kind: "punct", text: c, line });
      i++;
    } else if (c === "}") {
      if (braces.pop() === true) {
        templateText();
      } else {
        tokens.push({ kind: "punct", text: c, line });
        i++;
      }
    } else {
      tokens.push({ kind: "punct", text: c, line });
      i++;
    }
  }
  return tokens;
}

const DECLARATIONS = new Set([
  "function",
  "class",
  "const",
  "let",
  "var",
  "interface",
  "type",
  "enum",
  "namespace",
]);

/** The relative imports and the exports of one file's text. */
export function scan(source: string): Scan {
  const tokens = tokenize(source);
  const references: Reference[] = [];
  const exports: string[] = [];
  const text = (k: number): string | undefined => {
    const t = tokens[k];
    return t === undefined || t.kind === "template" ? undefined : t.text;
  };
  const isPunct = (k: number, p: string): boolean =>
    tokens[k]?.kind === "punct" && text(k) === p;
  const isName = (k: number, name: string): boolean =>
    tokens[k]?.kind === "name" && text(k) === name;
  const add = (
    k: number,
    names: string[],
    reexport: boolean,
    url = false,
  ): void => {
    const t = tokens[k];
    if (t?.kind !== "string" || !t.text.startsWith(".")) return;
    references.push({
      specifier: t.text,
      names,
      reexport,
      line: t.line,
      ...(url ? { url } : {}),
    });
  };
  /** Reads `{ a, type b, c as d }` from `k` (at `{`): [names, index after]. */
  const braceList = (k: number): [Array<[string, string]>, number] => {
    const list: Array<[string, string]> = [];
    k++;
    while (k < tokens.length && !isPunct(k, "}")) {
      if (isPunct(k, ",")) {
        k++;
        continue;
      }
      if (isName(k, "type") && tokens[k + 1]?.kind === "name") k++;
      const name = text(k) ?? "";
      let alias = name;
      if (isName(k + 1, "as")) {
        alias = text(k + 2) ?? name;
        k += 2;
      }
      list.push([name, alias]);
      k++;
    }
    return [list, k + 1];
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name") continue;
    if (t.text === "import" && !isPunct(k - 1, ".")) {
      if (isPunct(k + 1, "(")) {
        if (isPunct(k + 3, ")") || isPunct(k + 3, ",")) {
          add(k + 2, ["*"], false);
        }
        continue;
      }
      if (isPunct(k + 1, ".")) continue;
      // import "x"; import d, { a } from "x"; import * as m from "x"
      let j = k + 1;
      const names: string[] = [];
      while (j < tokens.length && tokens[j]!.kind !== "string") {
        if (isPunct(j, "{")) {
          const [list, after] = braceList(j);
          names.push(...list.map(([name]) => name));
          j = after;
          continue;
        }
        if (isPunct(j, "*")) names.push("*");
        else if (
          tokens[j]!.kind === "name" && !isName(j, "type") &&
          !isName(j, "from") && !isName(j, "as") && !isPunct(j - 1, "*") &&
          !isName(j - 1, "as")
        ) names.push("default");
        if (isPunct(j, ";")) break;
        j++;
      }
      add(j, names, false);
      k = j;
    } else if (t.text === "export" && !isPunct(k - 1, ".")) {
      let j = k + 1;
      if (isName(j, "type") && isPunct(j + 1, "{")) j++;
      if (isPunct(j, "{")) {
        const [list, after] = braceList(j);
        exports.push(...list.map(([, alias]) => alias));
        if (isName(after, "from")) {
          add(after + 1, list.map(([name]) => name), true);
        }
        k = after;
      } else if (isPunct(j, "*")) {
        if (isName(j + 1, "as")) {
          exports.push(text(j + 2) ?? "");
          add(j + 4, ["*"], true);
        } else {
          exports.push("*");
          add(j + 2, ["*"], true);
        }
      } else {
        while (
          isName(j, "declare") || isName(j, "async") || isName(j, "abstract")
        ) j++;
        if (isName(j, "default")) exports.push("default");
        else if (tokens[j]?.kind === "name" && DECLARATIONS.has(text(j)!)) {
          j++;
          if (isPunct(j, "*")) j++;
          if (isPunct(j, "{") || isPunct(j, "[")) {
            // export const { a, b } = ...: rare; take every name inside.
            const close = isPunct(j, "{") ? "}" : "]";
            for (j++; j < tokens.length && !isPunct(j, close); j++) {
              if (tokens[j]!.kind === "name") exports.push(text(j)!);
            }
          } else exports.push(text(j) ?? "");
        }
      }
    } else if (
      t.text === "new" && isName(k + 1, "URL") && isPunct(k + 2, "(") &&
      tokens[k + 3]?.kind === "string" && isPunct(k + 4, ",") &&
      isName(k + 5, "import") && isPunct(k + 6, ".") &&
      isName(k + 7, "meta") && isName(k + 9, "url") &&
      /\.[cm]?[jt]sx?$/.test(text(k + 3)!)
    ) {
      add(k + 3, ["*"], false, true);
    }
  }
  return { references, exports };
}

/** One seam: an import tests or tools may make that their group's rule does not allow. */
interface Seam {
  /** The importing file, or a group prefix ending in `/`. */
  from: string;
  /** The imported file. */
  to: string;
  /** The names it may import. */
  names: string[];
  /** Why this import is legitimate. */
  why: string;
}

/** `deps.json`. */
interface Rules {
  /** Each group (a path prefix, `<entries>` for the entry points): the groups it may import. */
  groups: Record<string, string[]>;
  /** The roots to read (folders ending in `/`). */
  roots: string[];
  /** Folders the rules leave alone. */
  skip?: string[];
  seams: Seam[];
  /**
   * Names a file an entry point imports may export without an entry point
   * re-exporting them, each with the reason.
   */
  internal?: Array<{ file: string; names: string[]; why: string }>;
}

const ENTRIES = "<entries>";

function isRules(value: unknown): value is Rules {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.groups === "object" && v.groups !== null &&
    Array.isArray(v.roots) && Array.isArray(v.seams);
}

function join(dir: string, specifier: string): string {
  const parts = dir === "" ? [] : dir.split("/");
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function walk(root: string, dir: string, skip: string[], out: string[]): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${root}/${dir}`)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) {
      if (!skip.includes(`${path}/`)) walk(root, `${path}/`, skip, out);
    } else if (entry.isFile && /\.tsx?$/.test(entry.name)) {
      out.push(path);
    }
  }
}

/** One file of an import circle, and the line where it imports the next. */
interface CircleStep {
  file: string;
  line: number;
}

/**
 * The import circles among `files` (one per strongly connected group, from
 * its first file in sorted order), each as the files in import order.
 */
function importCircles(
  files: string[],
  scans: Map<string, Scan>,
): CircleStep[][] {
  const edges = new Map<string, Map<string, number>>();
  for (const file of files) {
    const out = new Map<string, number>();
    for (const ref of scans.get(file)!.references) {
      if (ref.url) continue;
      const target = join(dirname(file), ref.specifier);
      if (scans.has(target) && !out.has(target)) out.set(target, ref.line);
    }
    edges.set(file, out);
  }
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!.keys()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || edges.get(v)!.has(v)) groups.push(group);
  };
  for (const file of [...files].sort()) if (!index.has(file)) visit(file);
  // In each group, a shortest way from its first file back to itself.
  return groups.map((group) => {
    const members = new Set(group);
    const start = [...group].sort()[0]!;
    const from = new Map<string, string>();
    const queue = [start];
    let last: string | undefined;
    while (queue.length > 0 && last === undefined) {
      const v = queue.shift()!;
      for (const w of edges.get(v)!.keys()) {
        if (!members.has(w)) continue;
        if (w === start) {
          last = v;
          break;
        }
        if (!from.has(w)) {
          from.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [last!];
    while (path[0] !== start) path.unshift(from.get(path[0]!)!);
    return path.map((file, i) => ({
      file,
      line: edges.get(file)!.get(path[i + 1] ?? start)!,
    }));
  });
}

/**
 * Checks the tree at `root` against its `deps.json`: one line per violation,
 * `<importer>:<line>: imports <imported>: <rule>: <why>`, sorted.
 */
export function checkDeps(root: string): string[] {
  const rules: unknown = JSON.parse(Deno.readTextFileSync(`${root}/deps.json`));
  if (!isRules(rules)) {
    throw new TypeError(
      `Cannot check imports: ${root}/deps.json is not a rules file (expected groups, roots and seams)`,
    );
  }
  const config = JSON.parse(Deno.readTextFileSync(`${root}/deno.json`)) as {
    exports?: Record<string, string> | string;
  };
  const exportMap = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports ?? {};
  const entries = new Set(Object.values(exportMap).map((p) => join("", p)));

  const files: string[] = [...entries];
  for (const dir of rules.roots) walk(root, dir, rules.skip ?? [], files);
  const scans = new Map<string, Scan>();
  for (const file of files) {
    scans.set(file, scan(Deno.readTextFileSync(`${root}/${file}`)));
  }

  const prefixes = Object.keys(rules.groups).filter((g) => g !== ENTRIES)
    .sort((a, b) => b.length - a.length);
  const groupOf = (file: string): string | undefined =>
    entries.has(file) ? ENTRIES : prefixes.find((p) => file.startsWith(p));
  const inGroup = (file: string, group: string): boolean =>
    group === ENTRIES ? entries.has(file) : groupOf(file) === group ||
      (group.endsWith("/") ? file.startsWith(group) : file === group);
  const describe = (groups: string[]): string =>
    groups.length === 0 ? "nothing of the toolkit" : groups.join(", ");

  const out: string[] = [];
  const report = (file: string, line: number, message: string): void => {
    out.push(`${file}:${line}: ${message}`);
  };
  /** For each file an entry point imports: the names entry points re-export. */
  const reexported = new Map<string, Set<string>>();
  const seamsUsed = new Set<Seam>();

  for (const file of files) {
    const group = groupOf(file);
    if (group === undefined) {
      report(
        file,
        1,
        `is in no group: rule: every file is in a group of deps.json`,
      );
      continue;
    }
    const allowed = rules.groups[group] ?? [];
    for (const ref of scans.get(file)!.references) {
      const target = join(dirname(file), ref.specifier);
      if (group === ENTRIES && target.startsWith("src/")) {
        if (ref.reexport) {
          const names = reexported.get(target) ?? new Set<string>();
          for (const name of ref.names) names.add(name);
          reexported.set(target, names);
        }
        if (basename(target).startsWith("_")) {
          report(
            file,
            ref.line,
            `imports ${target}: private: an entry point never imports a file whose name starts with _`,
          );
        }
      }
      const targetGroup = groupOf(target);
      if (targetGroup === group && group !== ENTRIES) continue;
      const isPrivate = basename(target).startsWith("_") &&
        group !== ENTRIES && target.startsWith("src/");
      if (!isPrivate && allowed.some((g) => inGroup(target, g))) continue;
      const seam = rules.seams.find((s) =>
        s.to === target &&
        (s.from.endsWith("/") ? file.startsWith(s.from) : file === s.from)
      );
      if (seam !== undefined) {
        seamsUsed.add(seam);
        const extra = ref.names.filter((name) => !seam.names.includes(name));
        if (extra.length === 0) continue;
        report(
          file,
          ref.line,
          `imports ${
            extra.join(", ")
          } from ${target}: seam: the seam lists only ${seam.names.join(", ")}`,
        );
        continue;
      }
      report(
        file,
        ref.line,
        isPrivate && allowed.some((g) => inGroup(target, g))
          ? `imports ${target}: private: a file whose name starts with _ is imported only from its own folder (${targetGroup}) or through a seam of deps.json`
          : `imports ${target}: layer: ${group} may import ${
            describe(allowed)
          }`,
      );
    }
  }

  for (const [file, names] of [...reexported].sort()) {
    if (names.has("*")) continue;
    const own = scans.get(file)?.exports ?? [];
    const shared = rules.internal?.find((i) => i.file === file);
    const internal = own.filter((name) =>
      !names.has(name) && !(shared?.names.includes(name) ?? false)
    );
    if (internal.length === 0) continue;
    report(
      file,
      1,
      `exports ${
        internal.join(", ")
      }, which no entry point re-exports: public: a file an entry point re-exports from exports only what entry points re-export (move the rest to a _ file)`,
    );
  }

  for (const circle of importCircles(files, scans)) {
    const [first, ...rest] = circle;
    report(
      first!.file,
      first!.line,
      `imports ${rest[0]?.file ?? first!.file}: cycle: ${
        [...circle.map((step) => step.file), first!.file].join(" -> ")
      } (the code reads bottom-up: move what both sides need below them)`,
    );
  }

  for (const seam of rules.seams) {
    if (!seamsUsed.has(seam)) {
      out.push(
        `deps.json: seam ${seam.from} -> ${seam.to} is not used: seam: remove it`,
      );
    }
  }
  return out.sort();
}

if (import.meta.main) {
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname;
  const violations = checkDeps(root.replace(/\/$/, ""));
  for (const line of violations) console.log(line);
  if (violations.length > 0) {
    console.error(
      `check_deps: ${violations.length} import(s) break the rules of deps.json (ARCHITECTURE.md, "Rules")`,
    );
    Deno.exit(1);
  }
}
