// Standalone fixtures (`await using`) in plain Deno.test, each test leaving a
// rejection nobody handles in one phase. Each test prints the paths of its
// temp dirs; the last test checks they are gone and that it ran at all.
import { defineFixture, tmpDir } from "../../../mod.ts";

const dirs: string[] = [];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Leaves a rejection nobody handles during its setup or its disposal. */
const stray = defineFixture<{ in: "setup" | "disposal" }, AsyncDisposable>({
  name: "stray",
  setup: async (options) => {
    if (options.in === "setup") {
      void Promise.reject(new Error("stray rejection in setup"));
      await delay(10);
    }
    return {
      [Symbol.asyncDispose]: async () => {
        if (options.in === "disposal") {
          void Promise.reject(new Error("stray rejection in disposal"));
          await delay(10);
        }
      },
    };
  },
});

Deno.test("standalone: stray in the body", async () => {
  await using dir = await tmpDir();
  dirs.push(dir.path);
  void Promise.reject(new Error("stray rejection in the body"));
  await delay(10);
});

Deno.test("standalone: stray in the same turn as a throw", async () => {
  await using dir = await tmpDir();
  dirs.push(dir.path);
  void Promise.reject(new Error("stray rejection beside a throw"));
  throw new Error("body failed");
});

Deno.test("standalone: stray from a timer", async () => {
  await using dir = await tmpDir();
  dirs.push(dir.path);
  setTimeout(() => {
    throw new Error("thrown from a timer");
  }, 0);
  await delay(10);
});

Deno.test("standalone: stray in a fixture's setup", async () => {
  await using dir = await tmpDir();
  dirs.push(dir.path);
  await using _stray = await stray({ in: "setup" });
});

Deno.test("standalone: stray in a fixture's disposal", async () => {
  await using dir = await tmpDir();
  dirs.push(dir.path);
  await using _stray = await stray({ in: "disposal" });
});

Deno.test("standalone: later test", async () => {
  for (const path of dirs) {
    try {
      await Deno.stat(path);
      console.log(`LEFT ${path}`);
    } catch {
      console.log(`GONE ${path}`);
    }
  }
});
