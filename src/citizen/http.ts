/** HTTP plumbing shared by the citizen controllers. */
import { ParseUUIDPipe } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { characterProblem } from '../common/index.js';
import { CitizenErrors } from './errors.js';
import { errorPage } from './pages/error.page.js';

/** A malformed request id is simply an unknown request (404), not a validation error. */
export const RequestIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => CitizenErrors.requestNotFound(),
});

/** A malformed consent id is as unknown as another citizen's consent (404). */
export const ConsentIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => CitizenErrors.consentNotFound(),
});

/** A malformed access (audit event) id is as unknown as another citizen's access (404). */
export const AccessIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => CitizenErrors.accessNotFound(),
});

/** A citizen page: personal, so never cached. */
export function sendHtml(res: Response, html: string, status = 200): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/**
 * Middleware on the citizen pages' paths: a path that is not valid percent-encoded UTF-8, or
 * carries control or invisible characters, gets the French 400 page here (the router would
 * otherwise refuse it before any page filter, as problem+json).
 */
export function refuseMalformedPagePath(req: Request, res: Response, next: NextFunction): void {
  try {
    if (req.path.split('/').every((s) => characterProblem(decodeURIComponent(s), true) === null)) {
      return next();
    }
  } catch {
    // Not UTF-8: refused below.
  }
  sendHtml(
    res,
    errorPage({
      status: 400,
      code: 'malformed_path',
      requestId: req.id ?? 'unknown',
      loggedIn: false,
    }),
    400,
  );
}

/** Download path of one access's proof bundle (MeApiController.accessProof; /me links it). */
export function accessProofPath(eventId: string): string {
  return `/api/v1/me/accesses/${encodeURIComponent(eventId)}/proof`;
}
