/**
 * Stable error codes the citizen module raises itself. The consent service raises the others the
 * citizen may meet (`consent_request_expired`, `consent_request_already_decided`,
 * `consent_request_other_citizen`, `consent_request_not_found`, `consent_not_found`), and the
 * identity module `csrf_token_invalid` and `citizen_session_required`. HTML routes turn any of
 * them into a French page (texts.ts, ERROR_PAGE) with the same code and status; JSON routes
 * answer problem+json.
 */
import { ApiError } from '../common/index.js';

export const CitizenErrors = {
  /** Not one of the citizen's accesses (unknown, another citizen's, not an access). */
  accessNotFound: () =>
    new ApiError(404, 'access_not_found', 'Access not found', 'No such access to your data.'),
  /** The transparency log has not taken the event in yet (seconds). */
  proofNotReady: () =>
    new ApiError(
      503,
      'proof_not_ready',
      'Proof not ready',
      'This access is being added to the public log; try again in a few seconds.',
      {},
      { 'Retry-After': '5' },
    ),
  /** A malformed request id (not a uuid) is simply not found: no hint about the format. */
  requestNotFound: () =>
    new ApiError(
      404,
      'consent_request_not_found',
      'Consent request not found',
      'No consent request with this id.',
    ),
  /** The request was answered already (its page, its preview). */
  requestAlreadyDecided: () =>
    new ApiError(
      409,
      'consent_request_already_decided',
      'Consent request already decided',
      'This consent request has already been approved or denied.',
    ),
  /** The request can no longer be decided (its page, its preview). */
  requestExpired: () =>
    new ApiError(
      410,
      'consent_request_expired',
      'Consent request expired',
      'This consent request expired before a decision was made.',
    ),
  /** A malformed consent id on `/me` or `/api/v1/me` routes: as unknown as someone else's. */
  consentNotFound: () =>
    new ApiError(
      404,
      'consent_not_found',
      'Consent not found',
      'No such consent for this citizen.',
    ),
} as const;

export const CITIZEN_ERROR_CODES = [
  'consent_request_not_found',
  'consent_request_already_decided',
  'consent_request_expired',
  'consent_not_found',
] as const;
