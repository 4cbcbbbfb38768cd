// Internal: text helpers for error messages. Not re-exported.

/** A short, one-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** `value` with any password in it replaced by `***`. */
export function maskUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@/]*@/, "$1***@");
}
