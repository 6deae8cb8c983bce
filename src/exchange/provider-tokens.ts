/**
 * The gateway's credentials at a provider: an API key, a static bearer token, or an OAuth 2.0
 * client-credentials access token (RFC 6749 §4.4, `client_secret_basic`) kept per provider
 * configuration until shortly before it expires, one token request shared by every concurrent
 * caller and given its own time budget.
 */
import { ProviderFailure } from './circuit-breakers.js';
import { ExchangeErrors } from './errors.js';
import type { ProviderTarget } from './exchange.types.js';
import {
  type ProviderAttempt,
  type ProviderPool,
  type ProviderTransport,
  withDeadline,
} from './provider-transport.js';

export interface ProviderToken {
  value: string;
  /** When we stop using it (shortly before the provider's expiry). */
  refreshAt: number;
}

/** The headers that authenticate the gateway at `provider` (and the token they carry, if any). */
export async function providerCredentials(
  transport: ProviderTransport,
  pool: ProviderPool,
  provider: ProviderTarget,
  attempt: ProviderAttempt,
  userAgent: string,
): Promise<{ headers: Record<string, string>; token?: ProviderToken }> {
  const secret = provider.secret;
  switch (provider.authKind) {
    case 'none':
      return { headers: {} };
    case 'api_key':
      if (!secret) throw ExchangeErrors.authFailed(provider.id);
      return { headers: { [provider.authConfig.headerName || 'X-Api-Key']: secret } };
    case 'bearer':
      if (!secret) throw ExchangeErrors.authFailed(provider.id);
      return { headers: { Authorization: `Bearer ${secret}` } };
    case 'oauth2_client_credentials': {
      const token = await accessToken(transport, pool, provider, attempt, userAgent);
      return { headers: { Authorization: `Bearer ${token.value}` }, token };
    }
    default:
      throw ExchangeErrors.authFailed(provider.id);
  }
}

/** The cached access token, or one new token request shared by every concurrent caller. */
async function accessToken(
  transport: ProviderTransport,
  pool: ProviderPool,
  provider: ProviderTarget,
  attempt: ProviderAttempt,
  userAgent: string,
): Promise<ProviderToken> {
  if (pool.token && pool.token.refreshAt > Date.now()) return pool.token;
  if (!pool.tokenPending) {
    // The shared request has its own budget, so that one caller's short remaining time does
    // not fail everybody waiting for the same token.
    const own: ProviderAttempt = { deadline: Date.now() + provider.timeoutMs, attempts: 0 };
    pool.tokenPending = requestToken(transport, pool, provider, own, userAgent)
      .then((token) => {
        pool.token = token;
        return token;
      })
      .finally(() => {
        pool.tokenPending = null;
      });
  }
  return withDeadline(pool.tokenPending, attempt.deadline);
}

async function requestToken(
  transport: ProviderTransport,
  pool: ProviderPool,
  provider: ProviderTarget,
  attempt: ProviderAttempt,
  userAgent: string,
): Promise<ProviderToken> {
  const { tokenUrl, clientId, scope } = provider.authConfig;
  if (!tokenUrl || !clientId || !provider.secret) throw ExchangeErrors.authFailed(provider.id);
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) form.set('scope', scope);
  // client_secret_basic, with RFC 6749 §2.3.1's form-encoding of id and secret.
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(provider.secret)}`).toString(
    'base64',
  );
  const res = await transport.request(pool, attempt, {
    method: 'POST',
    url: tokenUrl,
    data: form.toString(),
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': userAgent,
      Authorization: `Basic ${basic}`,
    },
  });
  if (res.status >= 500) throw new ProviderFailure('error', `token status ${res.status}`, false);
  if (res.status !== 200) throw ExchangeErrors.authFailed(provider.id);
  let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(res.data) as typeof body;
  } catch {
    throw ExchangeErrors.authFailed(provider.id);
  }
  if (
    typeof body?.access_token !== 'string' ||
    !/^[\x21-\x7e]{1,4096}$/.test(body.access_token) ||
    typeof body.token_type !== 'string' ||
    body.token_type.toLowerCase() !== 'bearer'
  ) {
    throw ExchangeErrors.authFailed(provider.id);
  }
  // RFC 6749 §5.1: expires_in is RECOMMENDED; without it, assume a short life.
  const ttl =
    typeof body.expires_in === 'number' && Number.isFinite(body.expires_in)
      ? Math.min(Math.max(body.expires_in, 1), 86_400)
      : 60;
  const margin = Math.min(30, ttl * 0.1);
  return { value: body.access_token, refreshAt: Date.now() + (ttl - margin) * 1000 };
}

/** application/x-www-form-urlencoded encoding of one value (spaces as '+'). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
