/**
 * Stable error codes of the exchange module (the live call to a data provider). Clients branch
 * on `code`; titles and details are for humans. No detail ever carries anything the provider
 * said, except the sanitized "citizen unknown" message of a 404, which is meant for the citizen.
 */
import { ApiError } from '../common/index.js';

export const ExchangeErrors = {
  citizenUnknown: (providerMessage: string) =>
    new ApiError(
      404,
      'citizen_unknown_to_provider',
      'Citizen unknown to the provider',
      'The provider has no record of this citizen; its own words are in `providerMessage`.',
      // The provider's message is French (its audience is the citizen): kept apart from the
      // English detail, so that one answer speaks one language.
      { providerMessage },
    ),
  providerDisabled: (providerId: string) =>
    new ApiError(
      503,
      'provider_disabled',
      'Provider disabled',
      `The provider "${providerId}" is disabled by the operator.`,
    ),
  circuitOpen: (providerId: string, retryAfterSeconds: number) =>
    new ApiError(
      503,
      'provider_circuit_open',
      'Provider temporarily unavailable',
      `The provider "${providerId}" failed repeatedly; calls are suspended for a few seconds.`,
      {},
      { 'Retry-After': String(Math.max(1, retryAfterSeconds)) },
    ),
  busy: (providerId: string) =>
    new ApiError(
      503,
      'provider_busy',
      'Provider busy',
      `Too many requests are waiting for the provider "${providerId}".`,
      {},
      { 'Retry-After': '1' },
    ),
  rateLimited: (providerId: string) =>
    new ApiError(
      503,
      'provider_rate_limited',
      'Provider rate limit reached',
      `The provider "${providerId}" refuses more requests for now.`,
      {},
      { 'Retry-After': '5' },
    ),
  timeout: (providerId: string) =>
    new ApiError(
      504,
      'provider_timeout',
      'Provider timeout',
      `The provider "${providerId}" did not answer in time.`,
    ),
  error: (providerId: string) =>
    new ApiError(
      502,
      'provider_error',
      'Provider error',
      `The provider "${providerId}" could not be reached or answered with an error.`,
    ),
  malformed: (providerId: string) =>
    new ApiError(
      502,
      'provider_malformed_response',
      'Malformed provider answer',
      `The provider "${providerId}" answered something that is not the expected JSON.`,
    ),
  tooLarge: (providerId: string) =>
    new ApiError(
      502,
      'provider_malformed_response',
      'Malformed provider answer',
      `The provider "${providerId}" answered more than the gateway accepts.`,
    ),
  schemaMismatch: (providerId: string, datasetId: string) =>
    new ApiError(
      502,
      'provider_schema_mismatch',
      'Provider answer does not match the dataset schema',
      `The provider "${providerId}" answered data for "${datasetId}" that does not match its declared schema; nothing is passed on.`,
    ),
  authFailed: (providerId: string) =>
    new ApiError(
      502,
      'provider_auth_failed',
      'Provider refused the gateway',
      `The provider "${providerId}" refused the gateway's credentials or assertion.`,
    ),
  /** SSRF guard: the provider's URL, or what its host name resolves to, is internal. */
  addressRefused: (providerId: string) =>
    new ApiError(
      502,
      'provider_address_refused',
      'Provider address refused',
      `The provider "${providerId}" resolves to an internal address the gateway does not call (see OUTBOUND_ALLOW_LIST).`,
    ),
  rejectedRequest: (providerId: string) =>
    new ApiError(
      502,
      'provider_rejected_request',
      'Provider rejected the request',
      `The provider "${providerId}" rejected the gateway's request.`,
    ),
} as const;

/**
 * Refusals of the consented fetch (`GET /api/v1/consents/{id}/data/{datasetId}`), before any
 * provider is called. An unknown consent and another client's consent get the very same 404:
 * nobody learns that an id exists.
 */
export const FetchErrors = {
  consentNotFound: () =>
    new ApiError(404, 'consent_not_found', 'Consent not found', 'No such consent.'),
  datasetNotFound: () =>
    new ApiError(404, 'dataset_not_found', 'Dataset not found', 'No such dataset.'),
  insufficientScope: (datasetId: string) =>
    new ApiError(
      403,
      'insufficient_scope',
      'Dataset outside the token scope',
      `The access token's scope does not include "${datasetId}".`,
      {},
      // RFC 6750 §3.1
      { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${datasetId}"` },
    ),
  consentRevoked: () =>
    new ApiError(
      403,
      'consent_revoked',
      'Consent revoked',
      'The citizen revoked this consent; no data can be fetched under it any more.',
    ),
  consentExpired: () =>
    new ApiError(
      403,
      'consent_expired',
      'Consent expired',
      'This consent has reached its end date; ask the citizen for a new one.',
    ),
  datasetNotInConsent: (datasetId: string) =>
    new ApiError(
      403,
      'dataset_not_in_consent',
      'Dataset not covered by the consent',
      `The citizen did not consent to "${datasetId}" under this consent.`,
    ),
  habilitationInactive: () =>
    new ApiError(
      403,
      'habilitation_inactive',
      'Habilitation no longer active',
      'The habilitation this consent was given under is revoked, outside its validity, or no longer covers this dataset.',
    ),
  datasetUnavailable: (datasetId: string) =>
    new ApiError(
      503,
      'dataset_unavailable',
      'Dataset unavailable',
      `The dataset "${datasetId}" or its provider is disabled by the operator.`,
      {},
      { 'Retry-After': '60' },
    ),
  fetchBudgetExhausted: (datasetId: string) =>
    new ApiError(
      403,
      'fetch_budget_exhausted',
      'Fetch budget exhausted',
      `This one-time consent already served "${datasetId}".`,
    ),
  fetchTooSoon: (datasetId: string, retryAfterSeconds: number) =>
    new ApiError(
      403,
      'fetch_too_soon',
      'Fetch too soon',
      `"${datasetId}" was fetched under this consent less than the habilitation's minimum interval ago.`,
      { retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  auditUnavailable: () =>
    new ApiError(
      503,
      'audit_unavailable',
      'Audit log unavailable',
      'The access could not be recorded in the audit log, so no data is returned. Retry later.',
      {},
      { 'Retry-After': '5' },
    ),
} as const;

/** Every code this module can answer, for documentation and tests. */
export const EXCHANGE_ERROR_CODES = [
  'citizen_unknown_to_provider',
  'provider_disabled',
  'provider_circuit_open',
  'provider_busy',
  'provider_rate_limited',
  'provider_timeout',
  'provider_error',
  'provider_malformed_response',
  'provider_schema_mismatch',
  'provider_auth_failed',
  'provider_rejected_request',
  'provider_address_refused',
  'consent_not_found',
  'dataset_not_found',
  'insufficient_scope',
  'consent_revoked',
  'consent_expired',
  'dataset_not_in_consent',
  'habilitation_inactive',
  'dataset_unavailable',
  'fetch_budget_exhausted',
  'fetch_too_soon',
  'audit_unavailable',
] as const;

export type ExchangeErrorCode = (typeof EXCHANGE_ERROR_CODES)[number];
