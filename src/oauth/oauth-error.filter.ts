import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { toProblem } from '../common/index.js';
import { OAuthErrorCode } from './errors.js';

const OAUTH_CODES = new Set<string>(Object.values(OAuthErrorCode));

/**
 * The token endpoint's error shape: RFC 6749 §5.2 `{error, error_description}` as
 * application/json, never cached. Anything that is not already an OAuth error is mapped to
 * `invalid_request` (4xx) or `server_error` (5xx), so OAuth libraries always find `error`.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(OAuthErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const { problem, headers } = toProblem(exception, req.id ?? 'unknown', this.logger);
    const error = OAUTH_CODES.has(problem.code)
      ? problem.code
      : problem.status >= 500
        ? OAuthErrorCode.serverError
        : OAuthErrorCode.invalidRequest;
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.status(problem.status).json({ error, error_description: problem.detail });
  }
}

/**
 * Express error middleware for `/oauth/token`, mounted after the body parsers: their refusals
 * (malformed or over-deep JSON, unsupported charset, too many parameters) happen before the
 * route exists for Nest, and would otherwise answer problem+json, which OAuth libraries do not
 * read. Same shape as the filter above.
 */
export function tokenEndpointBodyErrors(
  err: unknown,
  req: Request,
  res: Response,
  _next: NextFunction,
): void {
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new OAuthErrorFilter().catch(err, host);
}
