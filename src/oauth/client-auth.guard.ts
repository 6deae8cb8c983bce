import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RefusalAuditService } from '../audit/index.js';
import { AccessTokenService, AuthenticatedClient, bearerToken } from './access-token.service.js';
import { invalidToken } from './errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by ClientAuthGuard (not `client`: IncomingMessage already has one, the socket). */
    oauthClient?: AuthenticatedClient;
  }
}

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
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      this.refusals.unauthenticated(req, 'access_token_missing');
      throw invalidToken('A bearer access token is required.', false);
    }
    try {
      // Already verified by the rate-limit guard for this request, if it ran: not twice.
      req.oauthClient = await this.tokens.authenticateRequest(req, token);
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
