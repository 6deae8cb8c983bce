import { ArgumentsHost, Catch, ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/index.js';
import { LoginError } from './errors.js';
import { IdentityService } from './identity.service.js';
import { loginErrorPage } from './pages.js';

/**
 * Every failure on the /auth routes ends here: audited as `login.failed` with its reason (login
 * codes only), answered with a French HTML page carrying the stable code, never a stack trace.
 */
@Catch()
@Injectable()
export class LoginErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Login');

  constructor(private readonly identity: IdentityService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    void this.respond(exception, req, res);
  }

  private async respond(exception: unknown, req: Request, res: Response): Promise<void> {
    try {
      // The rate limit guard refuses with an ApiError (its Retry-After header is already set):
      // a citizen's browser gets the French 429 page, audited as a rate limit, not an error.
      const error =
        exception instanceof LoginError
          ? exception
          : exception instanceof ApiError && exception.code === 'rate_limited'
            ? new LoginError('login_rate_limited', exception.detail)
            : new LoginError(
                'login_internal_error',
                exception instanceof Error ? exception.message : String(exception),
              );
      if (error.status >= 500) {
        this.logger.error({ err: exception, requestId: req.id, code: error.code }, 'login failed');
      } else {
        this.logger.warn(
          { requestId: req.id, code: error.code, reason: error.reason },
          'login refused',
        );
      }
      if (error.code.startsWith('login_')) await this.identity.recordLoginFailure(req, error);
      if (res.headersSent) {
        res.end();
        return;
      }
      res
        .status(error.status)
        .set('Cache-Control', 'no-store')
        .type('html')
        .send(loginErrorPage(error.code, req.id));
    } catch (err) {
      this.logger.error({ err, requestId: req.id }, 'login error page failed');
      if (!res.headersSent) res.status(500).type('text').send('Erreur interne');
      else res.end();
    }
  }
}
