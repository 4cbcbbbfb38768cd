// Tests that use what they do not declare: a file, an environment variable,
// a loopback URL (ITKIT_AUDIT_URL, read at load). tests/
// permissions_audit_test.ts audits them in one run.
import { integration, tmpDir } from "../../../mod.ts";

const url = Deno.env.get("ITKIT_AUDIT_URL")!;

integration("reads a file and a variable", () => {
  Deno.readTextFileSync(new URL(import.meta.url));
  Deno.env.get("APP_MODE");
});

integration("fetches a loopback URL", async () => {
  await (await fetch(url)).text();
});

// What its fixture and option grant covers all it uses.
integration("needs nothing more", {
  fixtures: { dir: tmpDir.fixture() },
  permissions: { env: ["APP_MODE"] },
}, async (_t, { dir }) => {
  Deno.env.get("APP_MODE");
  await Deno.writeTextFile(dir.join("a.txt"), "a");
});
