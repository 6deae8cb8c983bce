/**
 * CSRF checks as guards, so that they run BEFORE body validation: a forged or tokenless request
 * is refused as such (403 `csrf_token_invalid`) without telling the attacker anything about the
 * rest of the form. Put them after `CitizenSessionGuard`.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RefusalAuditService } from '../audit/index.js';
import { assertCsrf } from '../identity/index.js';

/**
 * assertCsrf, audited on failure: with a logged-in session it is an attempt against a known
 * citizen (one audit event); without one, unauthenticated noise (metrics, per-minute summary).
 */
function checkCsrf(req: Request, token: unknown, refusals: RefusalAuditService): void {
  try {
    assertCsrf(req, token);
  } catch (err) {
    const citizenId = req.session?.citizenId;
    if (citizenId) {
      refusals.authenticated(
        { actor: `citizen:${citizenId}`, reason: 'csrf_token_invalid', httpStatus: 403, citizenId },
        req,
      );
    } else {
      refusals.unauthenticated(req, 'csrf_token_invalid');
    }
    throw err;
  }
}

export const CSRF_HEADER = 'X-CSRF-Token';

/** HTML forms: the hidden field `csrf` of an urlencoded body. */
@Injectable()
export class FormCsrfGuard implements CanActivate {
  constructor(private readonly refusals: RefusalAuditService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const body = req.body as Record<string, unknown> | undefined;
    checkCsrf(req, body && typeof body === 'object' ? body.csrf : undefined, this.refusals);
    return true;
  }
}

/**
 * JSON calls of a session-authenticated app: the `X-CSRF-Token` header (from
 * `GET /api/v1/me/csrf`). A custom header cannot be sent cross-site without a CORS preflight,
 * which the gateway does not grant; the token makes it independent of the CORS setting too.
 */
@Injectable()
export class HeaderCsrfGuard implements CanActivate {
  constructor(private readonly refusals: RefusalAuditService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    checkCsrf(req, req.get(CSRF_HEADER), this.refusals);
    return true;
  }
}
