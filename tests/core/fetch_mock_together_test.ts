// The fetch mock beside the toolkit's other fixtures and the test's own
// servers, as a user meets it: one `deno test` run (sanitizers on) of
// tests/core/testdata/fetch_mock_together.ts, under `cli.ts run` (S3 provided).
import assert from "node:assert/strict";
import { runDenoTest } from "../_shared/harness.ts";

const run = await runDenoTest(["fetch_mock_together.ts"], {
  args: ["--sanitize-ops", "--sanitize-resources"],
});

function verdict(name: string): string {
  const line = run.output.split("\n").find((l) =>
    l.startsWith(`[integration] ${name} ...`) && /\.\.\. (ok|FAILED)/.test(l)
  );
  assert.ok(line, `no verdict for "${name}" in:\n${run.output}`);
  return /\.\.\. ok/.test(line) ? "ok" : "FAILED";
}

function outputLine(prefix: string): string {
  const line = run.output.split("\n").find((l) => l.startsWith(prefix));
  assert.ok(line, `no line starting with "${prefix}" in:\n${run.output}`);
  return line.slice(prefix.length);
}

Deno.test("the toolkit's S3 client reaches the store with a mock installed, past a catch-all route", () => {
  assert.equal(verdict("fetchMock beside s3Bucket"), "ok", run.output);
  // S3's requests are neither answered nor logged; the test's own are.
  assert.equal(
    outputLine("S3 CALLS "),
    "GET https://api.example.com/data,GET https://other.example.com/",
  );
});

Deno.test("a route for the S3 endpoint answers the test's own request beside s3Bucket; unanswered, it goes out", () => {
  assert.equal(
    verdict(
      "a route for the S3 endpoint answers the test's own request, beside s3Bucket",
    ),
    "ok",
    run.output,
  );
  // The toolkit client's requests are not logged; the test's own are.
  assert.match(
    outputLine("STORE CALLS "),
    /^\/mocked true false,\/b\/[^ ]+ false true$/,
  );
});

Deno.test("a probe's client leaves the store mockable: after it, an unanswered request to the store fails", () => {
  assert.equal(
    verdict(
      "after a probe of the store, an unanswered request to it fails like any other",
    ),
    "ok",
    run.output,
  );
});

Deno.test("an httpServer fixture is reached by fetch, axios and node:http with a mock installed", () => {
  assert.equal(verdict("fetchMock beside httpServer"), "ok", run.output);
  assert.equal(outputLine("SERVER CALLS "), "GET https://api.example.com/data");
});

Deno.test("a server the test started itself is reached by default, logged as passed through", () => {
  assert.equal(
    verdict("fetchMock beside the test's own server"),
    "ok",
    run.output,
  );
  assert.equal(
    outputLine("OWN CALLS "),
    "GET https://api.example.com/data true false,GET /f false true,GET /a false true,GET /n false true",
  );
});

Deno.test("passthrough lets the hosts and URL prefixes given through, and only those", () => {
  assert.equal(
    verdict("passthrough lets the hosts given through"),
    "ok",
    run.output,
  );
});

Deno.test("a response body cancelled after msw's passthrough() or from a mocked stream settles", () => {
  assert.equal(
    verdict("a body cancelled after passthrough() or a mocked stream settles"),
    "ok",
    run.output,
  );
  assert.equal(outputLine("CANCELLED"), "");
});

Deno.test("assertAllCalled passes when every route was called, else fails at dispose naming the others", () => {
  assert.equal(
    verdict("assertAllCalled passes when every route was called"),
    "ok",
    run.output,
  );
  assert.equal(
    verdict("assertAllCalled fails naming the routes never called"),
    "FAILED",
  );
  assert.match(
    run.output,
    /fixture "api" \(fetchMock\) failed to clean up: fetch mock "api": 2 routes never called: GET https:\/\/api\.example\.com\/a, POST https:\/\/api\.example\.com\/c\n/,
  );
});

Deno.test("api.assertAllCalled() fails naming the routes never called, added ones too", () => {
  assert.equal(
    verdict("api.assertAllCalled() fails naming the routes never called"),
    "FAILED",
  );
  assert.match(
    run.output,
    /Error: fetch mock "api": 3 routes never called: GET https:\/\/api\.example\.com\/b, POST https:\/\/api\.example\.com\/c, GET https:\/\/api\.example\.com\/d\n/,
  );
});

Deno.test("the run leaks nothing and has no other failure", () => {
  assert.doesNotMatch(run.output, /Leaks detected|NotCapable/);
  assert.equal(run.passed, 8, run.output);
  assert.equal(run.failed, 2, run.output);
});
