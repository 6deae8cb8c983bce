/**
 * CSRF checks as guards, so that they run BEFORE body validation: a forged or tokenless request
 * is refused as such (403 `csrf_token_invalid`) without telling the attacker anything about the
 * rest of the form. Put them after `CitizenSessionGuard`.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { assertCsrf } from '../identity/index.js';

export const CSRF_HEADER = 'X-CSRF-Token';

/** HTML forms: the hidden field `csrf` of an urlencoded body. */
@Injectable()
export class FormCsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const body = req.body as Record<string, unknown> | undefined;
    assertCsrf(req, body && typeof body === 'object' ? body.csrf : undefined);
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
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    assertCsrf(req, req.get(CSRF_HEADER));
    return true;
  }
}
