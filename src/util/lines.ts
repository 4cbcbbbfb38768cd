// Internal: the lines of a byte stream, for the helper processes that read
// JSON lines from their parent.

/** Yields each complete line of `readable` (without its newline). */
export async function* lines(
  readable: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
}
