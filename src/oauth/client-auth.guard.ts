import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RefusalAuditService } from '../audit/index.js';
import { AccessTokenService, AuthenticatedClient } from './access-token.service.js';
import { invalidToken } from './errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by ClientAuthGuard (not `client`: IncomingMessage already has one, the socket). */
    oauthClient?: AuthenticatedClient;
  }
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the scheme name is case-insensitive. */
const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Protects requesting-service APIs: a valid access token from `POST /oauth/token`, signed by one
 * of our keys (ES256 only), typed `at+jwt`, for our audience, not expired, and a client that is
 * still active. Operator tokens are opaque strings, not JWTs: they never pass here.
 *
 *   @UseGuards(ClientAuthGuard)
 *   handler(@CurrentClient() client: AuthenticatedClient) {}
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly refusals: RefusalAuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
    if (!match) {
      this.refusals.unauthenticated(req, 'access_token_missing');
      throw invalidToken('A bearer access token is required.', false);
    }
    try {
      req.oauthClient = await this.tokens.authenticate(match[1]);
    } catch (err) {
      // Unauthenticated: counted, and summarised per address and minute in the audit log.
      this.refusals.unauthenticated(req, 'access_token_invalid');
      throw err;
    }
    return true;
  }
}

/** The client ClientAuthGuard authenticated. */
export const CurrentClient = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedClient => {
    const client = context.switchToHttp().getRequest<Request>().oauthClient;
    // A handler using @CurrentClient() without the guard is a programming error, not a 401.
    if (!client) throw new Error('@CurrentClient() used on a route without ClientAuthGuard');
    return client;
  },
);
