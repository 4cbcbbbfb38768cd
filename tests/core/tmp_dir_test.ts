import assert from "node:assert/strict";
import { tmpDir } from "../../mod.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("tmpDir() removes the directory and its contents on dispose", async () => {
  let path: string;
  {
    await using dir = await tmpDir({ prefix: "unit-" });
    path = dir.path;
    await Deno.mkdir(dir.join("nested"));
    await Deno.writeTextFile(dir.join("nested", "file.txt"), "x");
    assert.ok((await Deno.stat(path)).isDirectory);
    assert.match(path, /unit-[^/]+$/);
  }
  assert.equal(await exists(path), false);
});

Deno.test("tmpDir() close() is idempotent and survives a removed directory", async () => {
  const dir = await tmpDir();
  await Deno.remove(dir.path, { recursive: true });
  await dir.close();
  await dir.close();
  assert.equal(await exists(dir.path), false);
});

// Declared at module load, as declarations are (it may start the reaper).
const declared = tmpDir.fixture();

Deno.test("tmpDir.fixture() declares read and write to its own parent only", () => {
  const fixture = declared;
  const permissions = fixture.permissions as Deno.PermissionOptionsObject;
  assert.deepEqual(Object.keys(permissions).sort(), ["read", "write"]);
  const [path] = permissions.read as string[];
  assert.match(path!, /itkit-[0-9a-z]{12,13}-\d+$/);
  assert.deepEqual(permissions.write, [path]);
});
