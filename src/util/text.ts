// Internal: text helpers for error messages. Not re-exported.

/** A short, one-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Query parameters whose value is a secret (`?password=…`, `sslpassword`,
 * `X-Amz-Security-Token`, `X-Amz-Signature`, `api_key`, …).
 */
const SECRET_PARAM =
  /^(?:[^=&#]*(?:pass|pwd|secret|token|signature)[^=&#]*|api[_-]?key)$/i;

/**
 * `raw`, a URL or anything like one, with every secret in it replaced by
 * `***`: the password (all between the user's first `:` and the LAST `@`, so
 * an unencoded `/ @ : % #` in it is masked too) and the values of secret
 * query parameters. The user name stays (`postgres://app:***@host/db`).
 * Never throws: input that is not a URL at all is masked the same way.
 *
 * @param raw The value as the user wrote it.
 * @returns It, masked.
 */
export function maskUrl(raw: string): string {
  const text = typeof raw === "string" ? raw : String(raw);
  // Userinfo runs from after `scheme://` (or the start) to the last `@`: a
  // password's own `@`, `/` or `#` cannot end it early.
  const slashes = text.indexOf("//");
  const start = slashes === -1 ? 0 : slashes + 2;
  const at = text.lastIndexOf("@");
  let masked = text;
  let rest = start;
  if (at >= start) {
    const colon = text.indexOf(":", start);
    if (colon !== -1 && colon < at) {
      masked = `${text.slice(0, colon)}:***${text.slice(at)}`;
      rest = colon + 4;
    }
  }
  const query = masked.indexOf("?", rest);
  if (query === -1) return masked;
  return masked.slice(0, query) +
    masked.slice(query).replace(
      /([?&])([^=&#]*)=([^&#]*)/g,
      (match, sep: string, name: string) =>
        SECRET_PARAM.test(decodeName(name)) ? `${sep}${name}=***` : match,
    );
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * A short fingerprint of `text` (64-bit FNV-1a, base 36), for keys that must
 * tell secrets apart without holding them. Never print it: a fast hash of a
 * weak password can be searched.
 *
 * @param text The text.
 * @returns Its fingerprint.
 */
export function fingerprint(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(36);
}
