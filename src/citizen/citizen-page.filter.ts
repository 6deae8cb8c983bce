import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toProblem } from '../common/index.js';
import { citizenOf } from '../identity/index.js';
import { errorPage } from './pages/error.page.js';

/**
 * Every failure on a citizen HTML page ends on a French page carrying the stable code and the
 * status the JSON API would use (400/403/404/409/410…), never problem+json or a stack trace.
 * The session guard's "log in first" (a 303 ApiError with a Location) stays a redirect.
 */
@Catch()
export class CitizenPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('CitizenPages');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const requestId = req.id ?? 'unknown';
    const { problem, headers } = toProblem(exception, requestId, this.logger);
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.set('Cache-Control', 'no-store');
    if (problem.status >= 300 && problem.status < 400 && headers.Location) {
      res.status(problem.status).end();
      return;
    }
    if (problem.status < 500) {
      this.logger.log({ requestId, code: problem.code, status: problem.status }, 'page refused');
    }
    res
      .status(problem.status)
      .type('html')
      .send(
        errorPage({
          status: problem.status,
          code: problem.code,
          requestId,
          loggedIn: citizenOf(req) !== null,
        }),
      );
  }
}
