// Issue 27, "Today's versions": projects of their own on postgres.js 4, on
// postgres.js 3.4 and on node-postgres (`pg` 8), each with its own deno.json
// mapping the driver, importing the toolkit by path, type-checked and run by
// `deno test`, as a user meets it: the app's code takes `db.sql` or opens its
// own pool from `db.url` under the driver's preset, with the variables the
// drivers read unset and set; without the preset, the NotCapable hint names
// only the preset that grants what that driver read.
import assert from "node:assert/strict";
import { waitForReapers } from "../../src/run/reaper.ts";
import { expectRun, projectDir } from "../_shared/harness.ts";

const ROOT = new URL("../../", import.meta.url);
const at = (file: string): string => JSON.stringify(new URL(file, ROOT).href);

/** The test every project has: the app's own pool under the preset. */
function presetTest(
  preset: string,
  open: string,
  openWithout: string,
  appName: string,
): string {
  return `
integration("own pool with the preset", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "schema", migrate }) },
  permissions: ${preset},
}, async (_t, { db }) => {
  ${open}
  if (await count(db.sql) !== 1) throw new Error("the app's insert is not in the test's schema");
  console.log(\`APP \${${appName}}\`);
});

integration("own pool without the preset", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "schema", migrate }) },
}, async (_t, { db }) => {
  ${openWithout}
});
`;
}

const HEAD = `
import { integration } from ${at("mod.ts")};
import {
  pgClientPermissions,
  postgresClientPermissions,
  postgresDatabase,
  type PostgresSql,
} from ${at("postgres.ts")};

const migrate = (sql: PostgresSql) => sql\`create table users (id serial primary key, name text not null)\`;

async function count(sql: PostgresSql): Promise<number> {
  const [row] = await sql<{ n: number }[]>\`select count(*)::int as n from users\`;
  return row!.n;
}
`;

/** App code on postgres.js 4, typed with its `Sql` and `ISql`. */
const POSTGRES_JS_4_APP = `
import postgres, { type ISql, type Sql } from "postgres";

/** Takes any client it is given: a pool, a transaction, a reserved one. */
export async function saveUser(sql: ISql, name: string): Promise<void> {
  await sql\`insert into users (name) values (\${name})\`;
}

/** Keeps the pool it is given. */
export class Users {
  constructor(readonly sql: Sql) {}
  async count(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>\`select count(*)::int as n from users\`;
    return row!.n;
  }
}

/** Opens its own pool, saves a user, and says which application it is. */
export async function ownPool(url: string): Promise<string> {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  try {
    await saveUser(sql, "ada");
    const [row] = await sql<{ name: string }[]>\`select current_setting('application_name') as name\`;
    return row!.name;
  } finally {
    await sql.end();
  }
}
`;

/** App code on postgres.js 3.4, typed with its `Sql`. */
const POSTGRES_JS_3_APP = `
import postgres, { type Sql } from "postgres";

export async function saveUser(sql: Sql, name: string): Promise<void> {
  await sql\`insert into users (name) values (\${name})\`;
}

/** Opens its own pool (from a URL, else from the PG* variables), saves a user, and says which application it is. */
export async function ownPool(url?: string): Promise<string> {
  const options = { max: 2, onnotice: () => {} };
  const sql = url === undefined ? postgres(options) : postgres(url, options);
  try {
    await saveUser(sql, "ada");
    const [row] = await sql<{ name: string }[]>\`select current_setting('application_name') as name\`;
    return row!.name;
  } finally {
    await sql.end();
  }
}
`;

const PG_APP = `
// @ts-types="@types/pg"
import pg from "pg";

/** Opens its own pool, saves a user, and says which application it is. */
export async function ownPool(url: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await pool.query("insert into users (name) values ($1)", ["ada"]);
    const result = await pool.query<{ name: string }>("select current_setting('application_name') as name");
    return result.rows[0]!.name;
  } finally {
    await pool.end();
  }
}
`;

const OWN = "const name = await ownPool(db.url);";

/** The projects: their deno.json, app and suite, and what they expect. */
const PROJECTS = {
  "postgres.js 4": {
    imports: { postgres: "npm:postgres@^4.2.0" },
    app: POSTGRES_JS_4_APP,
    suite: HEAD + `import { ownPool, saveUser, Users } from "./app.ts";\n` +
      presetTest("postgresClientPermissions()", OWN, OWN, "name") + `
integration("db.sql goes to app code typed with postgres.js 4", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "schema", migrate }) },
}, async (_t, { db }) => {
  await saveUser(db.sql, "grace");
  await db.sql.begin((tx) => saveUser(tx, "ada"));
  if (await new Users(db.sql).count() !== 2) throw new Error("db.sql did not save both");
});

integration("the app reads a libpq variable no preset has", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "schema", migrate }) },
  permissions: postgresClientPermissions(),
}, () => {
  Deno.env.get("PGSERVICE");
});
`,
    passing: [
      "own pool with the preset",
      "db.sql goes to app code typed with postgres.js 4",
    ],
    hint:
      '`permissions: postgresClientPermissions() (from "@itkit/core/postgres")` (what postgres.js 4 reads when the code under test builds its own pool)',
    defaultName: "postgres.js",
  },
  "postgres.js 3": {
    imports: { postgres: "npm:postgres@^3.4.10" },
    app: POSTGRES_JS_3_APP,
    suite: HEAD + `import { ownPool } from "./app.ts";\n` +
      presetTest(
        "postgresClientPermissions({}, { version: 3 })",
        OWN,
        // From a URL, postgres.js 3 reads nothing the fixture does not
        // grant (postgres.js 4's option variables cover its own): from
        // the PG* variables, it reads PGHOST first.
        "await ownPool();",
        "name",
      ) +
      `
integration("db.sql in a project on postgres.js 3", {
  fixtures: { db: postgresDatabase.fixture({ isolation: "schema", migrate }) },
}, async (_t, { db }) => {
  await db.sql\`insert into users (name) values ('grace')\`;
  await db.sql.begin((tx) => tx\`insert into users (name) values ('ada')\`);
  if (await count(db.sql) !== 2) throw new Error("db.sql did not save both");
});
`,
    passing: [
      "own pool with the preset",
      "db.sql in a project on postgres.js 3",
    ],
    hint:
      '`permissions: postgresClientPermissions({}, { version: 3 }) (from "@itkit/core/postgres")` (what postgres.js 3 reads when the code under test builds its own pool)',
    defaultName: "postgres.js",
  },
  "pg": {
    imports: {
      pg: "npm:pg@^8.23.1",
      "@types/pg": "npm:@types/pg@^8.23.1",
    },
    app: PG_APP,
    suite: HEAD + `import { ownPool } from "./app.ts";\n` +
      presetTest("pgClientPermissions()", OWN, OWN, "name"),
    passing: ["own pool with the preset"],
    hint:
      '`permissions: pgClientPermissions() (from "@itkit/core/postgres")` (what node-postgres (pg) reads when the code under test builds its own pool or client)',
    defaultName: "",
  },
} as const;

/** The variables set in the second run of each project (read by the drivers). */
const SET = { PGAPPNAME: "itkit-drivers-app", PGSSLMODE: "disable" };

async function runProject(
  project: (typeof PROJECTS)[keyof typeof PROJECTS],
  env: Record<string, string>,
): Promise<{ code: number; output: string; passed: number; failed: number }> {
  await using dir = await projectDir("itkit-driver-project-", {
    "deno.json": JSON.stringify({ imports: project.imports }),
    "app.ts": project.app,
    "suite_test.ts": project.suite,
  });
  const log = await Deno.makeTempFile({ prefix: "itkit-test-reaper-" });
  try {
    const inherited = Deno.env.toObject();
    for (const name of Object.keys(SET)) delete inherited[name];
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      // Type-checked, as a user's `deno test` is.
      args: [
        "test",
        "-A",
        "--sanitize-ops",
        "--sanitize-resources",
        "suite_test.ts",
      ],
      cwd: dir.path,
      clearEnv: true,
      env: {
        ...inherited,
        NO_COLOR: "1",
        ITKIT_REQUIRE: "1",
        ITKIT_REAPER_LOG: log,
        ...env,
      },
      stdin: "null",
    }).output();
    const reapers = await waitForReapers(log);
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr) +
      reapers.failed.map((line) => `\nreaper: ${line}`).join("");
    const summary = output.split("\n")
      .findLast((line) => /^(ok|FAILED) \| /.test(line)) ?? "";
    const n = (word: string) =>
      Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? -1);
    return { code, output, passed: n("passed"), failed: n("failed") };
  } finally {
    await Deno.remove(log);
  }
}

for (const [driver, project] of Object.entries(PROJECTS)) {
  Deno.test(`a project on ${driver}: the app's own pool runs under its preset with the drivers' variables unset and set, and without it the hint names that preset alone`, async () => {
    for (const env of [{}, SET]) {
      const run = await runProject(project, env);
      const what = `${driver}, ${
        Object.keys(env).join(", ") || "no variable"
      } set`;
      const run4 = { ...run, ignored: 0, filtered: 0, reaperFailed: [] };
      const failing = driver === "postgres.js 4" ? 2 : 1;
      expectRun(
        run4,
        run.passed === project.passing.length && run.failed === failing,
        `${what}: ${project.passing.length} pass, ${failing} fail`,
      );
      for (const name of project.passing) {
        assert.match(run.output, new RegExp(`\\] ${name} \\.\\.\\. ok`), what);
      }
      // What the app's pool read: PGAPPNAME when set, else its default.
      const appName = "PGAPPNAME" in env ? SET.PGAPPNAME : project.defaultName;
      assert.match(run.output, new RegExp(`^APP ${appName}$`, "m"), what);
      // Without the preset: the first variable the driver read, and that
      // driver's preset alone.
      const hint = new RegExp(
        `may not use env "([A-Z_]+)"\\.\\n.*\\n\\s*itkit: Grant it with (.*), or just this one: \`permissions: \\{ env: \\["\\1"\\] \\}\``,
      ).exec(
        run.output.slice(run.output.indexOf("own pool without the preset =>")),
      );
      assert.ok(hint, `${what}: no hint\n${run.output}`);
      assert.equal(hint[2], project.hint, `${what}: ${hint[0]}`);
      if (driver === "postgres.js 4") {
        // No preset has it: the one variable alone.
        assert.match(
          run.output,
          /may not use env "PGSERVICE"\.\n.*\n\s*itkit: Grant it in the test's options: `permissions: \{ env: \["PGSERVICE"\] \}`\./,
        );
      }
      assert.deepEqual(
        [...run.output.matchAll(
          /NotCapable: Requires \w+ access to "([^"]+)"/g,
        )]
          .map((m) => m[1]).filter((v) => v !== "PGSERVICE").length,
        1,
        `${what}: a NotCapable other than the expected ones\n${run.output}`,
      );
    }
  });
}
