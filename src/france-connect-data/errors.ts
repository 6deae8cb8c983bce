/**
 * Stable error codes of the API FranceConnectée (`GET /api/v1/france-connect/data/{datasetId}`).
 * 401 and 403 follow RFC 6750 §3.1 (`invalid_token`, `insufficient_scope`) with a Bearer
 * challenge; the details never repeat what FranceConnect answered.
 */
import { ApiError } from '../common/index.js';

const REALM = 'passerelle-franceconnect';

function challenge(error: string, description: string): Record<string, string> {
  return {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="${error}", error_description="${description.replace(/["\\]/g, '')}"`,
  };
}

export const FranceConnectDataErrors = {
  /** No bearer token at all (RFC 6750 §3.1: no error attribute then). */
  missingToken: () =>
    new ApiError(
      401,
      'invalid_token',
      'Invalid access token',
      'A FranceConnect access token is required (Authorization: Bearer …).',
      {},
      { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
    ),
  /** Inactive, expired, unknown, or its introspection could not be verified. */
  invalidToken: (detail: string) =>
    new ApiError(
      401,
      'invalid_token',
      'Invalid access token',
      detail,
      {},
      challenge('invalid_token', detail),
    ),
  insufficientScope: (detail: string) =>
    new ApiError(
      403,
      'insufficient_scope',
      'Insufficient scope',
      detail,
      {},
      challenge('insufficient_scope', detail),
    ),
  clientNotRegistered: () =>
    new ApiError(
      403,
      'client_not_registered',
      'Service not registered',
      'The FranceConnect service this token was issued to is not registered at Passerelle.',
    ),
  clientSuspended: () =>
    new ApiError(403, 'client_suspended', 'Service suspended', 'This service is suspended.'),
  habilitationInactive: () =>
    new ApiError(
      403,
      'habilitation_inactive',
      'No active habilitation',
      'The service holds no active habilitation for this dataset.',
    ),
  datasetNotFound: () =>
    new ApiError(404, 'dataset_not_found', 'Dataset not found', 'No such dataset.'),
  datasetUnavailable: (datasetId: string) =>
    new ApiError(
      503,
      'dataset_unavailable',
      'Dataset unavailable',
      `The dataset "${datasetId}" or its provider is disabled.`,
      {},
      { 'Retry-After': '60' },
    ),
  /** FranceConnect (checktoken, userinfo or its keys) did not answer, or not in time. */
  franceConnectUnavailable: (retryAfterSeconds = 5) =>
    new ApiError(
      503,
      'france_connect_unavailable',
      'FranceConnect unavailable',
      'FranceConnect could not be reached to check the access token; try again shortly.',
      {},
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  /** FranceConnect answered something that is not an introspection (not a JWT, wrong type). */
  franceConnectInvalidResponse: () =>
    new ApiError(
      502,
      'france_connect_invalid_response',
      'Invalid answer from FranceConnect',
      'FranceConnect’s answer to the token check was not a token introspection.',
    ),
  /** The identity claims the dataset needs were not granted with the token. */
  identityNotGranted: (claims: string[]) =>
    new ApiError(
      403,
      'insufficient_scope',
      'Insufficient scope',
      `The token does not give the identity claims this dataset needs (${claims.join(', ')}).`,
      {},
      challenge('insufficient_scope', 'identity claims not granted'),
    ),
  auditUnavailable: () =>
    new ApiError(
      503,
      'audit_unavailable',
      'Audit log unavailable',
      'The access could not be recorded in the audit log; no data was returned.',
      {},
      { 'Retry-After': '5' },
    ),
};
