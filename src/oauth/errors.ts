/**
 * Error codes of the oauth module.
 *
 * The token endpoint (`POST /oauth/token`) answers RFC 6749 §5.2 JSON `{error,
 * error_description}`, not problem+json: standard OAuth libraries parse that shape and nothing
 * else. Its codes are therefore exactly RFC 6749's. Everything else in the module (the bearer
 * guard) answers problem+json with the codes below.
 */
import { ApiError } from '../common/index.js';

/** RFC 6749 §5.2 error codes, used verbatim on the token endpoint. */
export const OAuthErrorCode = {
  invalidRequest: 'invalid_request',
  invalidClient: 'invalid_client',
  invalidGrant: 'invalid_grant',
  unauthorizedClient: 'unauthorized_client',
  unsupportedGrantType: 'unsupported_grant_type',
  invalidScope: 'invalid_scope',
  /** Not in §5.2 (it is §4.1.2.1's), but what OAuth clients understand for a 5xx. */
  serverError: 'server_error',
} as const;
export type OAuthErrorCode = (typeof OAuthErrorCode)[keyof typeof OAuthErrorCode];

/** Problem codes of the bearer guard (RFC 6750 names kept for the ones it defines). */
export const OAuthProblemCode = {
  /** Missing, malformed, forged, expired token, or its client is unknown or suspended. */
  invalidToken: 'invalid_token',
} as const;

/** The realm named in `WWW-Authenticate` challenges. */
export const REALM = 'passerelle';

/**
 * One message for "no such client", "suspended client" and "wrong credentials": the token
 * endpoint must not tell an attacker which client ids exist (no client enumeration).
 */
export const CLIENT_AUTH_FAILED = 'Client authentication failed.';

export function oauthError(
  status: 400 | 401 | 500,
  error: OAuthErrorCode,
  description: string,
): ApiError {
  // RFC 9110 §15.5.2: a 401 carries a challenge. RFC 6749 §5.2 asks for the scheme the client
  // used; Basic is the only HTTP scheme among ours (the others authenticate in the body).
  const headers: Record<string, string> =
    status === 401 ? { 'WWW-Authenticate': `Basic realm="${REALM}"` } : {};
  return new ApiError(status, error, 'OAuth error', description, {}, headers);
}

/** 401 from the bearer guard, with the RFC 6750 §3 challenge. */
export function invalidToken(detail: string, tokenPresent: boolean): ApiError {
  // RFC 6750 §3.1: no error attribute when the request carried no token at all.
  const challenge = tokenPresent
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${detail.replace(/["\\]/g, '')}"`
    : `Bearer realm="${REALM}"`;
  return new ApiError(
    401,
    OAuthProblemCode.invalidToken,
    'Invalid access token',
    detail,
    {},
    {
      'WWW-Authenticate': challenge,
    },
  );
}
