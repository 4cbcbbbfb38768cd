// Internal: text helpers for error messages. Not re-exported.

/** A short, one-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Query parameters whose value is a secret: `password`, `sslpassword` and
 * anything else with `pass`/`pwd` in its name, `*token*`, `*secret*`,
 * `*signature*` (`X-Amz-Security-Token`, `X-Amz-Signature`), `api_key`.
 */
const SECRET_PARAM =
  /^(?:[^=&#]*(?:pass|pwd|secret|token|signature)[^=&#]*|api[_-]?key)$/i;

/**
 * A host with an optional port, as it follows the user info's `@`:
 * `db.example.com`, `127.0.0.1:5432`, `[::1]:9000`.
 */
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._~%!$&'()*+,;=-]+)(?::\d*)?$/i;

/** What may stand where the authority is when it holds no user info. */
const AUTHORITY = /^(?:\[[0-9a-f:.]+\]|[^:@[\]]*)(?::\d*)?$/i;

/**
 * `raw`, a URL or anything like one, with every secret in it replaced by
 * `***`: the password and the values of secret query parameters (see
 * {@linkcode SECRET_PARAM}). The user name stays
 * (`postgres://app:***@host/db`). Never throws: input that is not a URL at
 * all is masked the same way.
 *
 * The password is what follows the user's first `:` in the user info. In a
 * web URL (`http`, `https`, `ws`, `wss`, `ftp`) an `@` counts only in the
 * authority (after `scheme://`, up to the first `/`, `?` or `#`):
 * `http://host:8080/users/a@b` has no password. A password written
 * unencoded may hold `/ @ : % # ?` all the same: an authority that is not
 * `host[:port]` holds one, up to the last `@` followed by a host; in a
 * connection string (`postgres://`, or no scheme), whose path holds no `@`,
 * so does one that reads as a host and port
 * (`postgres://app:5432/x@host/db`). And `postgres://app:secret`, user info
 * without an `@` or a host after a scheme, has its password masked too.
 * (Not masked: a web URL's password of digits alone up to an unencoded `/`,
 * `?` or `#`, `http://app:123/x@host`, which reads as a host and port; a
 * URL must encode it.)
 *
 * @param raw The value as the user wrote it.
 * @returns It, masked.
 */
export function maskUrl(raw: string): string {
  const text = typeof raw === "string" ? raw : String(raw);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ??
    (text.startsWith("//") ? "//" : "");
  const start = scheme.length;
  const end = endOfPart(text, start);
  const authority = text.slice(start, end);
  // A web URL's path may hold an "@"; a connection string's (postgres://)
  // does not: there an "@" after a "/" ends a password written unencoded.
  const web = /^(?:https?|wss?|ftp):\/\//i.test(scheme);
  let masked = text;
  let rest = end;
  if (
    authority.includes("@") || !AUTHORITY.test(authority) ||
    (!web && text.includes("@", end))
  ) {
    // User info: up to the last "@" followed by a host, wherever a password
    // with "/", "?" or "#" in it ends.
    const at = lastHostAt(text, start);
    const colon = text.indexOf(":", start);
    if (at !== -1) {
      if (colon !== -1 && colon < at) {
        masked = `${text.slice(0, colon)}:***${text.slice(at)}`;
        rest = endOfPart(masked, colon + 5);
      } else {
        rest = endOfPart(text, at + 1);
      }
    } else if (scheme !== "" && colon !== -1 && colon < end) {
      // "scheme://user:password" with no host: all of it after the ":" may
      // be the password. (Without a scheme, `::` or `a:b` is no URL.)
      return `${text.slice(0, colon)}:***`;
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

/** Where the part of `text` from `from` ends: at its first `/`, `?` or `#`. */
function endOfPart(text: string, from: number): number {
  const i = text.slice(from).search(/[/?#]/);
  return i === -1 ? text.length : from + i;
}

/** The last `@` after `start` that a host follows, or -1. */
function lastHostAt(text: string, start: number): number {
  for (
    let at = text.lastIndexOf("@");
    at >= start;
    at = text.lastIndexOf("@", at - 1)
  ) {
    if (HOST.test(text.slice(at + 1, endOfPart(text, at + 1)))) return at;
    if (at === 0) break;
  }
  return -1;
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
