/**
 * Pieces the consent services share (the decision, the citizen's consents): the audit of a
 * citizen reaching for another's request or consent, and the audit of a committed change.
 */
import type { Logger } from '@nestjs/common';
import type { AuditInput, AuditService, RefusalAuditService } from '../audit/index.js';
import { ConsentErrors } from './errors.js';

/**
 * A logged-in citizen reached for another citizen's request or consent: audited (the answer
 * stays the same as for anyone else). Returns the error to throw for a request.
 */
export function otherCitizen(
  refusals: RefusalAuditService,
  citizenId: string,
  type: 'consent_request' | 'consent',
  id: string,
  requestIdHeader?: string,
  httpStatus?: number,
) {
  const error = ConsentErrors.requestOtherCitizen();
  refusals.authenticated({
    actor: `citizen:${citizenId}`,
    reason: `${type}_of_another_citizen`,
    httpStatus: httpStatus ?? error.getStatus(),
    citizenId,
    ...(type === 'consent' ? { consentId: id } : {}),
    resource: { type, id },
    requestId: requestIdHeader,
  });
  return error;
}

/**
 * The change is committed when this runs: an audit failure must not turn it into an error
 * page (the citizen would retry and meet "already decided"). It is logged loudly instead.
 */
export async function recordCommitted(
  audit: AuditService,
  logger: Logger,
  input: AuditInput,
): Promise<void> {
  await audit
    .record(input)
    .catch((err) => logger.error({ err, kind: input.kind }, 'audit event could not be written'));
}
