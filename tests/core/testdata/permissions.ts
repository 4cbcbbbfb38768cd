import { env, httpServer, integration, tmpDir } from "../../../mod.ts";

const outside = Deno.env.get("ITKIT_OUTSIDE_FILE")!;
const port = Number(Deno.env.get("ITKIT_TEST_PORT"));

integration("writes inside its temp dir", {
  fixtures: { dir: tmpDir.fixture() },
}, async (_t, { dir }) => {
  await Deno.writeTextFile(dir.join("ok.txt"), "ok");
  console.log("READ BACK", await Deno.readTextFile(dir.join("ok.txt")));
});

integration("reads outside its temp dir", {
  fixtures: { dir: tmpDir.fixture() },
}, async () => {
  await Deno.readTextFile(outside);
});

integration("imports a file outside its temp dir as text", {
  fixtures: { dir: tmpDir.fixture() },
}, async () => {
  // Deno checks no read permission for a module import (documented limit).
  const text = await import(`file://${outside}`, { with: { type: "text" } });
  console.log("IMPORTED", JSON.stringify(text.default));
});

integration("reads an env var it did not declare", {
  fixtures: { vars: env.fixture({ vars: { ITKIT_DECLARED: "yes" } }) },
}, () => {
  console.log("DECLARED", Deno.env.get("ITKIT_DECLARED"));
  Deno.env.get("ITKIT_OUTSIDE_FILE");
});

integration("opens the network with no fixture", async () => {
  await Deno.connect({ hostname: "127.0.0.1", port });
});

integration("reaches its own local server", {
  fixtures: {
    server: httpServer.fixture({ handler: () => new Response("pong") }),
  },
}, async (_t, { server }) => {
  console.log("SERVER SAID", await (await fetch(server.url)).text());
});

integration("adds its own permission to the fixtures'", {
  fixtures: { dir: tmpDir.fixture() },
  permissions: { read: [outside] },
}, async () => {
  console.log("OUTSIDE SAYS", await Deno.readTextFile(outside));
});

integration("runs a subprocess without run permission", async () => {
  await new Deno.Command("true").output();
});
