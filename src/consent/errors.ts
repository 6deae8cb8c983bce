/**
 * Stable error codes of the consent module. Requesting services and the citizen pages branch on
 * `code`; titles and details are for humans (and the citizen pages show their own French text
 * per code).
 */
import { ApiError } from '../common/index.js';

const field = (name: string, message: string) => ({
  errors: [{ field: name, messages: [message] }],
});

export const ConsentErrors = {
  /** 403: the access token was narrowed (`scope`) to datasets that do not include these. */
  insufficientScope: (datasets: string[]) =>
    new ApiError(
      403,
      'insufficient_scope',
      'Dataset outside the token scope',
      `The access token's scope does not include: ${datasets.join(', ')}.`,
      { datasets },
      // RFC 6750 §3.1
      { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${datasets.join(' ')}"` },
    ),
  /** 404 for an unknown id, a malformed one, or another client's / citizen's request. */
  requestNotFound: () =>
    new ApiError(
      404,
      'consent_request_not_found',
      'Consent request not found',
      'No such consent request.',
    ),
  /** 404 for an unknown id, a malformed one, or another client's / citizen's consent. */
  consentNotFound: () =>
    new ApiError(404, 'consent_not_found', 'Consent not found', 'No such consent.'),
  redirectUriNotRegistered: () =>
    new ApiError(
      400,
      'redirect_uri_not_registered',
      'Redirect URI not registered',
      'redirectUri must be exactly one of the redirect URIs registered for this client.',
      field('redirectUri', 'redirectUri is not registered for this client'),
    ),
  unknownDataset: (datasets: string[]) =>
    new ApiError(
      400,
      'unknown_dataset',
      'Unknown dataset',
      `Unknown or disabled dataset(s): ${datasets.join(', ')}.`,
      { ...field('datasets', `unknown or disabled: ${datasets.join(', ')}`), datasets },
    ),
  /** 403: no single active habilitation of this client covers every requested dataset. */
  datasetsNotHabilitated: (datasets: string[]) =>
    new ApiError(
      403,
      'datasets_not_habilitated',
      'Datasets not covered by a habilitation',
      `No active habilitation of this client covers all the requested datasets; not covered: ${datasets.join(', ')}.`,
      { ...field('datasets', `not habilitated: ${datasets.join(', ')}`), datasets },
    ),
  durationExceedsHabilitation: (max: number) =>
    new ApiError(
      400,
      'duration_exceeds_habilitation',
      'Duration exceeds the habilitation',
      `durationDays must not exceed ${max}, the habilitation's maximum.`,
      {
        ...field('durationDays', `durationDays must not be greater than ${max}`),
        maxDurationDays: max,
      },
    ),
  periodicNotAllowed: () =>
    new ApiError(
      400,
      'periodic_not_allowed',
      'Periodic access not allowed',
      'The habilitation does not allow repeated (periodic) access; use fetchMode "once".',
      field('fetchMode', 'fetchMode "periodic" is not allowed by the habilitation'),
    ),
  notificationUrlRefused: (message: string) =>
    new ApiError(
      400,
      'validation_failed',
      'Invalid request',
      'Some fields are invalid.',
      field('notificationUrl', message),
    ),
  idempotencyKeyInvalid: () =>
    new ApiError(
      400,
      'idempotency_key_invalid',
      'Invalid Idempotency-Key',
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
    ),
  idempotencyKeyReused: () =>
    new ApiError(
      422,
      'idempotency_key_reused',
      'Idempotency key reused',
      'This Idempotency-Key was already used with a different request body.',
    ),
  requestExpired: () =>
    new ApiError(
      410,
      'consent_request_expired',
      'Consent request expired',
      'This consent request has expired; nothing was changed.',
    ),
  requestAlreadyDecided: () =>
    new ApiError(
      409,
      'consent_request_already_decided',
      'Consent request already decided',
      'This consent request was already approved or refused; nothing was changed.',
    ),
  /** 403: the request is bound to the citizen who opened it first. */
  requestOtherCitizen: () =>
    new ApiError(
      403,
      'consent_request_other_citizen',
      'Consent request bound to another citizen',
      'This consent request was opened by another person; nothing was changed.',
    ),
  /**
   * 409 at approval: the habilitation was revoked, ended, or no longer covers the datasets (or
   * one of them was disabled) between the request and the decision. Refusing stays possible.
   */
  habilitationNoLongerActive: () =>
    new ApiError(
      409,
      'habilitation_no_longer_active',
      'Habilitation no longer active',
      'The requesting service is no longer allowed to receive these data; the consent cannot be given.',
    ),
} as const;

/** Every code this module can answer, for documentation and tests. */
export const CONSENT_ERROR_CODES = [
  'validation_failed',
  'consent_request_not_found',
  'consent_not_found',
  'redirect_uri_not_registered',
  'unknown_dataset',
  'datasets_not_habilitated',
  'duration_exceeds_habilitation',
  'periodic_not_allowed',
  'idempotency_key_invalid',
  'idempotency_key_reused',
  'consent_request_expired',
  'consent_request_already_decided',
  'consent_request_other_citizen',
  'habilitation_no_longer_active',
] as const;
