// A plain Deno.test granted the fetch mock's declared `env` permission minus
// the variable named in ITKIT_DROP, and no other permission.
import assert from "node:assert/strict";
import https from "node:https";
import { fetchMock } from "../../../mod.ts";

const declared = fetchMock.fixture().permissions;
const drop = Deno.env.get("ITKIT_DROP") ?? "";
console.log(`DECLARED ${JSON.stringify(declared)}`);
const env = (declared as { env: string[] }).env.filter((name) => name !== drop);

Deno.test({
  name: `fetch mock with env ${env.join(",") || "none"}`,
  permissions: { env },
  fn: async () => {
    await using _api = await fetchMock({
      routes: [{ url: "https://api.example.com/data", reply: { text: "hi" } }],
    });
    assert.equal(
      await (await fetch("https://api.example.com/data")).text(),
      "hi",
    );
    const body = await new Promise<string>((resolve, reject) => {
      https.get("https://api.example.com/data", (response) => {
        let text = "";
        response.on("data", (chunk) => text += chunk);
        response.on("end", () => resolve(text));
      }).on("error", reject);
    });
    assert.equal(body, "hi");
  },
});
