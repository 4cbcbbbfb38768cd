// Internal: runs a program of bench/programs/ in a Deno subprocess, with this
// project's config; its parameters go by environment variables.

const ROOT = new URL("../../", import.meta.url);
const PROGRAMS = new URL("../programs/", import.meta.url);

/**
 * Runs `deno <subcommand> -A --no-check [extra] --config deno.json <program>`
 * (the programs are type-checked by `deno task check`).
 *
 * @param subcommand `test` for a test module, `run` for a script.
 * @param program Its path under bench/programs/ (`overhead/bare.ts`).
 * @param options Extra flags, and environment variables added to this one's.
 * @returns Its output.
 */
export async function runProgram(
  subcommand: "test" | "run",
  program: string,
  options: { extra?: string[]; env?: Record<string, string> } = {},
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: [
      subcommand,
      "-A",
      "--no-check",
      ...options.extra ?? [],
      "--config",
      new URL("deno.json", ROOT).pathname,
      new URL(program, PROGRAMS).pathname,
    ],
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/**
 * @param program A test module under bench/programs/.
 * @param out What `deno test` printed.
 * @returns The error that says the run failed, with its output.
 */
function failed(program: string, out: Deno.CommandOutput): Error {
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return new Error(
    `bench run of ${program} failed:\n${decode(out.stdout)}\n${
      decode(out.stderr)
    }`,
  );
}

/**
 * Runs `deno test` on a program.
 *
 * @param program A test module under bench/programs/.
 * @param env Its parameters.
 * @returns Deno's reported test time, in ms.
 */
export async function testTime(
  program: string,
  env: Record<string, string> = {},
): Promise<number> {
  const out = await runProgram("test", program, { env });
  const text = new TextDecoder().decode(out.stdout);
  const match = /^ok \| \d+ passed.*\(([\d.]+)(ms|s)\)$/m.exec(text);
  if (!out.success || !match) throw failed(program, out);
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}

/**
 * Runs `deno test --sanitize-ops --sanitize-resources` on a program.
 *
 * @param program A test module under bench/programs/.
 * @param env Its parameters.
 * @returns The whole process's wall-clock time, in ms.
 */
export async function wallTime(
  program: string,
  env: Record<string, string> = {},
): Promise<number> {
  const t = performance.now();
  const out = await runProgram("test", program, {
    extra: ["--sanitize-ops", "--sanitize-resources"],
    env,
  });
  const ms = performance.now() - t;
  if (!out.success) throw failed(program, out);
  return ms;
}

/**
 * Runs a program with `deno run` that prints one line of JSON.
 *
 * @param program A script under bench/programs/.
 * @param options Extra flags and its parameters.
 * @returns What it printed, parsed.
 */
export async function runJson<T>(
  program: string,
  options: { extra?: string[]; env?: Record<string, string> } = {},
): Promise<T> {
  const out = await runProgram("run", program, options);
  if (!out.success) throw failed(program, out);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
