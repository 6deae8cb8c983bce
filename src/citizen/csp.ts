/**
 * Per-response Content-Security-Policy for the consent page. The decision form posts to us and
 * we answer 303 to the requesting service's redirect URI, on another origin; browsers apply
 * `form-action` to that redirect too (CSP 3), and the global policy says `form-action 'self'`.
 * This page alone also allows the origin of THIS request's registered redirect URI (only it).
 */
import type { Response } from 'express';

const HEADER = 'Content-Security-Policy';

/** The CSP source for a redirect URI: its origin for http(s), else null (nothing added). */
export function redirectOrigin(redirectUri: string): string | null {
  try {
    const url = new URL(redirectUri);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** `policy` with `source` added to its `form-action` directive (created if absent). */
export function allowFormAction(policy: string, source: string): string {
  const directives = policy
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);
  const index = directives.findIndex((d) => d.toLowerCase().startsWith('form-action'));
  if (index === -1) {
    directives.push(`form-action 'self' ${source}`);
  } else if (!directives[index].split(/\s+/).includes(source)) {
    directives[index] = `${directives[index]} ${source}`;
  }
  return directives.join(';');
}

/** Rewrites the CSP helmet already set on `res` so that forms may lead to `redirectUri`'s origin. */
export function allowFormActionTo(res: Response, redirectUri: string): void {
  const origin = redirectOrigin(redirectUri);
  if (!origin) return;
  const current = res.getHeader(HEADER);
  const policy = typeof current === 'string' ? current : "default-src 'self';form-action 'self'";
  res.setHeader(HEADER, allowFormAction(policy, origin));
}
