/** HTTP plumbing shared by the citizen controllers. */
import { ParseUUIDPipe } from '@nestjs/common';
import type { Response } from 'express';
import { CitizenErrors } from './errors.js';

/** A malformed request id is simply an unknown request (404), not a validation error. */
export const RequestIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => CitizenErrors.requestNotFound(),
});

/** A malformed consent id is as unknown as another citizen's consent (404). */
export const ConsentIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => CitizenErrors.consentNotFound(),
});

/** A citizen page: personal, so never cached. */
export function sendHtml(res: Response, html: string, status = 200): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

/** Download path of one access's proof bundle (MeApiController.accessProof; /me links it). */
export function accessProofPath(eventId: string): string {
  return `/api/v1/me/accesses/${encodeURIComponent(eventId)}/proof`;
}
