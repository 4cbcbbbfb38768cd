// Section `import` of `deno task bench`: the import cost of mod.ts, and that
// the heavy packages stay unloaded.
import { median } from "../_measure.ts";
import type { Row } from "../_results.ts";
import { runProgram } from "./_program.ts";
import type { SectionOptions } from "./_section.ts";

/**
 * 6. `import mod.ts` timed in a fresh process; and mod.ts with its tmpDir
 * fixture under `--no-npm`, which passes only while the AWS SDK and
 * postgres.js stay unloaded.
 *
 * @param options The run's length.
 * @returns Its rows.
 */
export async function importCost(options: SectionOptions): Promise<Row[]> {
  const timeImport = async (program: string, extra: string[] = []) => {
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < options.rounds; i++) {
      const out = await runProgram("run", program, { extra });
      ok &&= out.success;
      times.push(Number(new TextDecoder().decode(out.stdout).trim()));
    }
    return { ms: median(times), ok };
  };
  const { ms } = await timeImport("import/timed.ts");
  const lazy = await timeImport("import/no_npm.ts", ["--no-npm"]);
  return [
    { name: "import mod.ts", value: ms, unit: "ms" },
    {
      name: "mod.ts with npm disabled (AWS SDK, postgres.js unloaded)",
      value: lazy.ok ? 1 : 0,
      unit: "passes",
      target: "1",
      met: lazy.ok,
    },
  ];
}
