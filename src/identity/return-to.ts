/**
 * `returnTo` after login: only a path on this gateway, never a URL (no open redirect). Browsers
 * are lenient about what they treat as "another host" (`//evil`, `/\evil`, `/\t/evil` once tabs
 * are stripped), so the rule is an allow-list of plain path characters, not a deny-list of
 * known tricks.
 */
export const DEFAULT_RETURN_TO = '/me';
const MAX_LENGTH = 2048;
/** Unreserved, sub-delims, ':', '@', '/', '?', '%' (RFC 3986 path and query characters). */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/**
 * Returns the local path to redirect to, `DEFAULT_RETURN_TO` when none was given, or null when
 * the value must be refused.
 */
export function parseReturnTo(value: unknown): string | null {
  if (value === undefined || value === '') return DEFAULT_RETURN_TO;
  if (typeof value !== 'string') return null; // repeated parameter, nested object…
  if (value.length > MAX_LENGTH) return null;
  if (!value.startsWith('/') || value.startsWith('//')) return null;
  if (!PATH_CHARS.test(value)) return null; // backslashes, whitespace, control characters, '#'
  // Percent-encoded slashes or backslashes right after the first '/' are decoded by some
  // servers and proxies into "//host": refuse them there.
  if (/^\/%(2f|5c)/i.test(value)) return null;
  // The URL parser must agree that this stays on our origin with the same path.
  const base = 'http://passerelle.invalid';
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return null;
  }
  if (parsed.origin !== base) return null;
  return value;
}
