/**
 * CSRF protection for the citizen's forms (consent decision, revocation): a synchronizer token
 * kept in the server-side session, rendered in a hidden field, compared in constant time on
 * POST. SameSite=Lax already keeps the session cookie off cross-site POSTs; this is the second,
 * browser-independent line.
 *
 *   html`<input type="hidden" name="csrf" value="${csrfToken(req)}">`
 *   ...
 *   assertCsrf(req, body.csrf); // throws 403 csrf_token_invalid
 */
import type { Request } from 'express';
import { randomToken, safeEqual } from '../common/index.js';
import { IdentityErrors } from './errors.js';

/** The session's CSRF token, created on first use. Needs the citizen session middleware. */
export function csrfToken(req: Request): string {
  if (!req.session)
    throw new Error('csrfToken: no session on this path (see CITIZEN_SESSION_PATHS)');
  req.session.csrfToken ??= randomToken(32);
  return req.session.csrfToken;
}

/** Whether `token` is this session's CSRF token (constant-time). */
export function verifyCsrf(req: Request, token: unknown): boolean {
  const expected = req.session?.csrfToken;
  if (typeof expected !== 'string' || expected === '') return false;
  if (typeof token !== 'string' || token === '') return false;
  return safeEqual(token, expected);
}

/** Throws `403 csrf_token_invalid` unless `token` is this session's CSRF token. */
export function assertCsrf(req: Request, token: unknown): void {
  if (!verifyCsrf(req, token)) throw IdentityErrors.csrfInvalid();
}
