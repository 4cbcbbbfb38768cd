// Internal: reading and writing the JSON lines of the toolkit's process
// protocols (the reaper's: run/_reaper_protocol.ts; the clone helper's:
// postgres/_clone_protocol.ts). Each message is one JSON object with an `op`
// that says what else it carries; each protocol's own file declares its
// requests and replies as discriminated unions and checks every line it
// reads against them with the readers here. A line that is not a message of
// the protocol is a ProtocolError, whose message names the protocol, the op
// and the field, never the line itself (a request carries configs with
// passwords).

/** A line that is not a message of the protocol it was read for. */
export class ProtocolError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong, without the line's content.
   */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Writes one message as its line (without the newline). */
export function writeMessage<M extends { readonly op: string }>(
  message: M,
): string {
  return JSON.stringify(message);
}

/**
 * One line read as a message: its `op`, and readers for its fields that
 * throw a {@linkcode ProtocolError} for a missing or mistyped one.
 */
export class MessageFields {
  /** What the message says it is. */
  readonly op: string;
  readonly #protocol: string;
  readonly #fields: { readonly [field: string]: unknown };

  /**
   * Reads `line` as a message of `protocol`.
   *
   * @param protocol Its name, for errors (`reaper request`).
   * @param line The line.
   * @throws {ProtocolError} For a line that is not a JSON object with a
   *   string `op`.
   */
  constructor(protocol: string, line: string) {
    this.#protocol = protocol;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ProtocolError(
        `a ${protocol} of ${line.length} characters is not JSON`,
      );
    }
    if (
      typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
    ) {
      throw new ProtocolError(`a ${protocol} is not a JSON object`);
    }
    this.#fields = parsed as { readonly [field: string]: unknown };
    const op = this.#fields.op;
    if (typeof op !== "string") {
      throw new ProtocolError(`a ${protocol} has no op`);
    }
    this.op = op;
  }

  /** The error for `field`, which is not `expected`. */
  #wrong(field: string, expected: string): ProtocolError {
    return new ProtocolError(
      `a ${this.#protocol} "${
        shortOp(this.op)
      }" has no ${field} (expected ${expected})`,
    );
  }

  /** An integer field. */
  int(field: string): number {
    const value = this.#fields[field];
    if (!Number.isSafeInteger(value)) throw this.#wrong(field, "an integer");
    return value as number;
  }

  /** An integer field, or `undefined` when absent. */
  optionalInt(field: string): number | undefined {
    return this.#fields[field] === undefined ? undefined : this.int(field);
  }

  /** A string field. */
  string(field: string): string {
    const value = this.#fields[field];
    if (typeof value !== "string") throw this.#wrong(field, "a string");
    return value;
  }

  /** A string field, or `undefined` when absent. */
  optionalString(field: string): string | undefined {
    return this.#fields[field] === undefined ? undefined : this.string(field);
  }

  /** A string field, or `null`. */
  stringOrNull(field: string): string | null {
    return this.#fields[field] === null ? null : this.string(field);
  }

  /** A boolean field. */
  boolean(field: string): boolean {
    const value = this.#fields[field];
    if (typeof value !== "boolean") throw this.#wrong(field, "true or false");
    return value;
  }

  /** A field that must be `true`. */
  yes(field: string): true {
    if (this.#fields[field] !== true) throw this.#wrong(field, "true");
    return true;
  }

  /** An array of strings. */
  strings(field: string): string[] {
    const value = this.#fields[field];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      throw this.#wrong(field, "an array of strings");
    }
    return value as string[];
  }

  /** Whether the message carries `field` at all. */
  has(field: string): boolean {
    return this.#fields[field] !== undefined;
  }

  /**
   * A JSON object field whose `strings` fields are strings and `ints`
   * fields integers, as `T` (its other fields as they came).
   */
  record<T extends object>(
    field: string,
    shape: { strings?: readonly string[]; ints?: readonly string[] },
  ): T {
    const value = this.#fields[field];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw this.#wrong(field, "an object");
    }
    const record = value as { readonly [key: string]: unknown };
    for (const key of shape.strings ?? []) {
      if (typeof record[key] !== "string") {
        throw this.#wrong(`${field}.${key}`, "a string");
      }
    }
    for (const key of shape.ints ?? []) {
      if (!Number.isSafeInteger(record[key])) {
        throw this.#wrong(`${field}.${key}`, "an integer");
      }
    }
    return value as T;
  }

  /**
   * The error for an op the protocol does not have. Called from the
   * `default` of a `switch` over every op, whose `op` is then `never`.
   */
  unknownOp(op: never): ProtocolError {
    return new ProtocolError(
      `a ${this.#protocol} has the unknown op "${shortOp(op)}"`,
    );
  }
}

/**
 * Says that a message the `switch` of a handler did not handle came in: the
 * handler's `default`, where the message is `never` (every op is handled),
 * and which a message that was read and checked never reaches.
 *
 * @param protocol The protocol's name, for the log.
 * @param message The message.
 * @returns The line to log (with FAILED).
 */
export function unhandled(protocol: string, message: never): string {
  const op = (message as { op?: unknown }).op;
  return `FAILED to handle a ${protocol} with op "${shortOp(String(op))}"`;
}

/** At most 40 characters of an op, for a message. */
function shortOp(op: string): string {
  return op.length > 40 ? `${op.slice(0, 40)}…` : op;
}
