/**
 * The code under test in the file-processing example.
 *
 * @module
 */

/** Reads `input`, prefixes its content with `processed: `, writes `output`. */
export async function processFile(
  input: string,
  output: string,
): Promise<void> {
  const text = await Deno.readTextFile(input);
  await Deno.writeTextFile(output, `processed: ${text}`);
}
