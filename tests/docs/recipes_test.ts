import assert from "node:assert/strict";
import { parse } from "yaml";
import { POSTGRES_ENV_VARS } from "../../src/postgres/_config_env.ts";
import { S3_ENV_DEFAULTS } from "../../src/s3/_config_env.ts";

const ROOT = new URL("../../", import.meta.url);
const versions = JSON.parse(
  await Deno.readTextFile(new URL("versions.json", ROOT)),
);

// deno-lint-ignore no-explicit-any
async function yaml(path: string): Promise<any> {
  return parse(await Deno.readTextFile(new URL(path, ROOT)));
}

Deno.test("docker-compose.test.yml parses, pins the images of versions.json and uses the default credentials", async () => {
  const compose = await yaml("docker-compose.test.yml");
  assert.equal(compose.services.minio.image, versions.minioImage);
  assert.equal(compose.services.postgres.image, versions.postgresImage);
  assert.equal(
    compose.services.minio.environment.MINIO_ROOT_USER,
    S3_ENV_DEFAULTS.S3_ACCESS_KEY,
  );
  assert.equal(
    compose.services.minio.environment.MINIO_ROOT_PASSWORD,
    S3_ENV_DEFAULTS.S3_SECRET_KEY,
  );
  assert.ok(compose.services.minio.healthcheck.test.length > 0);
  assert.ok(compose.services.postgres.healthcheck.test.length > 0);
  assert.ok(
    compose.services.postgres.ports.some((p: string) => p.endsWith(":5432")),
  );
  assert.ok(
    compose.services.minio.ports.some((p: string) => p.endsWith(":9000")),
  );
});

Deno.test("the GitHub workflow runs in require mode with the fixtures' variables and gates the deploy", async () => {
  const workflow = await yaml(".github/workflows/integration.yml");
  const job = workflow.jobs.integration;
  const env = job.env;
  for (const name of Object.keys(S3_ENV_DEFAULTS)) {
    assert.ok(name in env, `${name} is not set`);
  }
  assert.ok(
    POSTGRES_ENV_VARS.includes("DATABASE_URL") && "DATABASE_URL" in env,
  );
  assert.equal(env.ITKIT_REQUIRE, "1");
  assert.equal(job.services.postgres.image, versions.postgresImage);
  const steps = JSON.stringify(job.steps);
  assert.ok(
    steps.includes(versions.minioImage),
    "MinIO image is the pinned one",
  );
  assert.ok(
    steps.includes(`v${versions.deno}`),
    "Deno version is the pinned one",
  );
  assert.match(
    steps,
    /deno test -A --filter integration --junit-path=junit\.xml/,
  );
  assert.equal(workflow.jobs.deploy.needs, "integration");
  assert.match(workflow.jobs.deploy.if, /github\.ref == 'refs\/heads\/main'/);
});

Deno.test("the GitHub workflow deploys with the pinned Deno's `deno deploy`, its token a secret, and no deployctl", async () => {
  const text = await Deno.readTextFile(
    new URL(".github/workflows/integration.yml", ROOT),
  );
  const deploy = (await yaml(".github/workflows/integration.yml")).jobs.deploy;
  // Deno Deploy Classic, which deployctl targets, was shut down on 2026-07-20.
  assert.doesNotMatch(text, /deployctl/);
  const setup = deploy.steps.find((s: { uses?: string }) =>
    s.uses?.startsWith("denoland/setup-deno@")
  );
  assert.equal(setup?.with?.["deno-version"], `v${versions.deno}`);
  const step = deploy.steps.find((s: { run?: string }) =>
    /^deno deploy\b/.test(s.run ?? "")
  );
  assert.ok(step, "a `deno deploy` step");
  for (const flag of ["--org", "--app", "--prod", "--non-interactive"]) {
    assert.ok(step.run.split(/\s+/).includes(flag), `${flag} is passed`);
  }
  assert.equal(
    step.env.DENO_DEPLOY_TOKEN,
    "${{ secrets.DENO_DEPLOY_TOKEN }}",
  );
});
