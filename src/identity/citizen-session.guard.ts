import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { IdentityErrors } from './errors.js';
import type { CitizenPrincipal } from './identity.types.js';

/** A login is good for this long even if the citizen keeps the session alive (idle is 30 min). */
export const SESSION_ABSOLUTE_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** The logged-in citizen of this request's session, or null. */
export function citizenOf(req: Request): CitizenPrincipal | null {
  const s = req.session;
  if (!s?.citizenId || !s.sub || !s.identity || typeof s.loginAt !== 'number') return null;
  if (Date.now() - s.loginAt > SESSION_ABSOLUTE_LIFETIME_MS) return null;
  return { citizenId: s.citizenId, sub: s.sub, identity: s.identity };
}

function isJsonRoute(req: Request): boolean {
  return req.originalUrl.startsWith('/api/');
}

/**
 * Lets a request through only with a logged-in citizen. HTML routes without one are sent to
 * `/auth/login?returnTo=<this page>` (303); JSON routes (/api/v1/me/…) get a 401 problem
 * `citizen_session_required`.
 */
@Injectable()
export class CitizenSessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (citizenOf(req)) return true;
    if (isJsonRoute(req)) throw IdentityErrors.sessionRequired();
    // Only a GET can be replayed after login; a form POST returns to the citizen's home.
    const returnTo = req.method === 'GET' || req.method === 'HEAD' ? req.originalUrl : '/me';
    throw IdentityErrors.loginRedirect(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  }
}

/**
 * The logged-in citizen (`{citizenId, sub, identity}`), for handlers behind
 * `CitizenSessionGuard`. Throws 401 `citizen_session_required` if there is none.
 */
export const CurrentCitizen = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CitizenPrincipal => {
    const citizen = citizenOf(context.switchToHttp().getRequest<Request>());
    if (!citizen) throw IdentityErrors.sessionRequired();
    return citizen;
  },
);
