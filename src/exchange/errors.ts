/**
 * Stable error codes of the exchange module (the live call to a data provider). Clients branch
 * on `code`; titles and details are for humans. No detail ever carries anything the provider
 * said, except the sanitized "citizen unknown" message of a 404, which is meant for the citizen.
 */
import { ApiError } from '../common/problem.js';

export const ExchangeErrors = {
  citizenUnknown: (providerMessage: string) =>
    new ApiError(
      404,
      'citizen_unknown_to_provider',
      'Citizen unknown to the provider',
      providerMessage,
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
  rejectedRequest: (providerId: string) =>
    new ApiError(
      502,
      'provider_rejected_request',
      'Provider rejected the request',
      `The provider "${providerId}" rejected the gateway's request.`,
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
] as const;

export type ExchangeErrorCode = (typeof EXCHANGE_ERROR_CODES)[number];
