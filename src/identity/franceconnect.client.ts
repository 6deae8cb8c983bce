/**
 * Everything the gateway checks about FranceConnect's answers, with `jose` (the library made for
 * JOSE, maintained, no native code): discovery, the ID token, the signed userinfo, the logout
 * URL. passport-openidconnect only drives the redirect, `state` and the code exchange; it does
 * not verify signatures (an `alg:none` token passes it) and crashes on JWT userinfo, so none of
 * its checks are relied upon.
 */
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { safeEqual } from '../common/index.js';
import { LoginError } from './errors.js';
import { IDENTITY_PIVOT_CLAIMS, type IdentityPivot } from './identity.types.js';

/** JWS algorithms accepted from FranceConnect (v2 signs with ES256, RS256 allowed). */
export const ALLOWED_ALGORITHMS = ['ES256', 'RS256'];
/** Clock skew tolerated on exp/iat/nbf, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Timeout of every call to FranceConnect (discovery, token, userinfo, JWKS). */
export const PROVIDER_TIMEOUT_MS = 5000;
const MAX_USERINFO_BYTES = 64 * 1024;

/** eIDAS levels of assurance, lowest first: an `acr` satisfies any level at or below it. */
const ACR_LEVELS = ['eidas1', 'eidas2', 'eidas3'];

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
}

export interface FranceConnectProvider {
  metadata: ProviderMetadata;
  /** PKCE S256 is sent when the provider advertises it (RFC 8414 / OIDC discovery). */
  pkce: boolean;
  jwks: JWTVerifyGetKey;
}

export interface VerifiedIdToken {
  sub: string;
  acr: string;
  claims: JWTPayload;
}

/** Whether `acr` is at least `required` on the eIDAS scale (unknown values must match exactly). */
export function acrSatisfies(acr: unknown, required: string): boolean {
  if (typeof acr !== 'string' || acr === '') return false;
  const want = ACR_LEVELS.indexOf(required);
  const got = ACR_LEVELS.indexOf(acr);
  if (want === -1 || got === -1) return acr === required;
  return got >= want;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Classifies a jose failure: the provider was unreachable, or what it sent is not acceptable. */
function isUnreachable(err: unknown): boolean {
  return (
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    (err instanceof Error &&
      (err.name === 'TypeError' || err.name === 'AbortError' || err.name === 'TimeoutError'))
  );
}

function joseReason(err: unknown): string {
  if (err instanceof joseErrors.JOSEError) {
    const claim = (err as { claim?: string }).claim;
    return claim ? `${err.code} (${claim})` : err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

@Injectable()
export class FranceConnectClient implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FranceConnectClient.name);
  private provider?: FranceConnectProvider;
  private discovering?: Promise<FranceConnectProvider>;
  private readonly shutdown = new AbortController();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Discovery at start, without blocking it: a provider down at start must not stop the gateway. */
  onApplicationBootstrap(): void {
    this.describe().catch((err: LoginError) =>
      this.logger.warn(
        { reason: err.reason, issuer: this.config.franceConnect.issuer },
        'FranceConnect discovery failed at start; retried at the next login',
      ),
    );
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }

  /**
   * The provider's metadata and keys: discovered once, then cached. Concurrent callers share one
   * request; a failure is not cached, so the next login retries.
   */
  describe(): Promise<FranceConnectProvider> {
    if (this.provider) return Promise.resolve(this.provider);
    this.discovering ??= this.discover().then(
      (provider) => {
        this.provider = provider;
        this.discovering = undefined;
        return provider;
      },
      (err: unknown) => {
        this.discovering = undefined;
        throw err;
      },
    );
    return this.discovering;
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(PROVIDER_TIMEOUT_MS)]);
  }

  private async discover(): Promise<FranceConnectProvider> {
    const issuer = this.config.franceConnect.issuer;
    const url = `${issuer}/.well-known/openid-configuration`;
    let body: Record<string, unknown>;
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: this.signal(),
      });
      if (res.status !== 200) {
        throw new LoginError('login_provider_unavailable', `discovery answered HTTP ${res.status}`);
      }
      body = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof LoginError) throw err;
      throw new LoginError('login_provider_unavailable', `discovery failed: ${joseReason(err)}`);
    }
    // OpenID Connect Discovery §4.3: the issuer must be exactly the one configured.
    if (body.issuer !== issuer) {
      throw new LoginError(
        'login_provider_unavailable',
        `discovery issuer mismatch: ${String(body.issuer)}`,
      );
    }
    for (const field of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
    ]) {
      if (!isHttpUrl(body[field])) {
        throw new LoginError('login_provider_unavailable', `discovery lacks ${field}`);
      }
    }
    const metadata: ProviderMetadata = {
      issuer,
      authorization_endpoint: body.authorization_endpoint as string,
      token_endpoint: body.token_endpoint as string,
      userinfo_endpoint: body.userinfo_endpoint as string,
      jwks_uri: body.jwks_uri as string,
      end_session_endpoint: isHttpUrl(body.end_session_endpoint)
        ? body.end_session_endpoint
        : undefined,
      code_challenge_methods_supported: Array.isArray(body.code_challenge_methods_supported)
        ? body.code_challenge_methods_supported.filter((m): m is string => typeof m === 'string')
        : undefined,
    };
    return {
      metadata,
      pkce: metadata.code_challenge_methods_supported?.includes('S256') ?? false,
      // Cached; fetched again when a token names a kid it does not know (key rotation), at
      // most every 30 s, so a flood of forged kids cannot make us hammer the provider.
      jwks: createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: PROVIDER_TIMEOUT_MS,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      }),
    };
  }

  /**
   * Verifies the ID token: signature against the provider's JWKS, algorithm allow-list, issuer,
   * audience (and azp), expiry with a small skew, nonce, and `acr` at least the configured level.
   */
  async verifyIdToken(idToken: unknown, expectedNonce: string): Promise<VerifiedIdToken> {
    if (typeof idToken !== 'string' || idToken === '') {
      throw new LoginError('login_id_token_invalid', 'no id_token in the token response');
    }
    const provider = await this.describe();
    const { clientId, acr: requiredAcr } = this.config.franceConnect;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, provider.jwks, {
        issuer: provider.metadata.issuer,
        audience: clientId,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (err) {
      if (isUnreachable(err)) {
        throw new LoginError('login_provider_unavailable', `JWKS: ${joseReason(err)}`);
      }
      throw new LoginError('login_id_token_invalid', joseReason(err));
    }
    // OIDC Core §3.1.3.7: with several audiences, azp must be us.
    if (payload.azp !== undefined && payload.azp !== clientId) {
      throw new LoginError('login_id_token_invalid', 'azp is another client');
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp === undefined) {
      throw new LoginError('login_id_token_invalid', 'several audiences and no azp');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new LoginError('login_id_token_invalid', 'sub is not a string');
    }
    if (typeof payload.nonce !== 'string' || !safeEqual(payload.nonce, expectedNonce)) {
      throw new LoginError('login_nonce_mismatch', 'nonce differs from the one sent');
    }
    if (!acrSatisfies(payload.acr, requiredAcr)) {
      throw new LoginError(
        'login_acr_insufficient',
        `acr ${payload.acr === undefined ? 'missing' : JSON.stringify(payload.acr)}, ${requiredAcr} required`,
      );
    }
    return { sub: payload.sub, acr: payload.acr as string, claims: payload };
  }

  /**
   * Calls userinfo with the access token and verifies its answer as the ID token: a JWT
   * (`application/jwt`, FranceConnect v2) signed by the provider, for us, about the same `sub`.
   */
  async fetchIdentity(accessToken: unknown, expectedSub: string): Promise<IdentityPivot> {
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new LoginError('login_provider_error', 'no access_token in the token response');
    }
    const provider = await this.describe();
    let res: Response;
    let body: string;
    try {
      res = await fetch(provider.metadata.userinfo_endpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/jwt' },
        signal: this.signal(),
        redirect: 'error',
      });
      body = await res.text();
    } catch (err) {
      throw new LoginError('login_provider_unavailable', `userinfo: ${joseReason(err)}`);
    }
    if (res.status !== 200) {
      throw new LoginError('login_provider_error', `userinfo answered HTTP ${res.status}`);
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/jwt') {
      throw new LoginError(
        'login_userinfo_invalid',
        `userinfo content-type ${contentType || 'none'}`,
      );
    }
    if (body.length > MAX_USERINFO_BYTES) {
      throw new LoginError('login_userinfo_invalid', 'userinfo too large');
    }
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(body.trim(), provider.jwks, {
        issuer: provider.metadata.issuer,
        audience: this.config.franceConnect.clientId,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      if (isUnreachable(err)) {
        throw new LoginError('login_provider_unavailable', `JWKS: ${joseReason(err)}`);
      }
      throw new LoginError('login_userinfo_invalid', joseReason(err));
    }
    // OIDC Core §5.3.2: the userinfo sub must be the ID token's, or it is someone else's data.
    if (claims.sub !== expectedSub) {
      throw new LoginError('login_userinfo_invalid', 'userinfo sub differs from the ID token sub');
    }
    return identityFrom(claims);
  }

  /**
   * RP-initiated logout URL (FranceConnect `/session/end`), or null when the provider cannot be
   * reached or has no end-session endpoint.
   */
  async endSessionUrl(idTokenHint: string, state: string): Promise<string | null> {
    let provider: FranceConnectProvider;
    try {
      provider = await this.describe();
    } catch {
      return null;
    }
    if (!provider.metadata.end_session_endpoint) return null;
    const url = new URL(provider.metadata.end_session_endpoint);
    url.searchParams.set('id_token_hint', idTokenHint);
    url.searchParams.set('state', state);
    url.searchParams.set(
      'post_logout_redirect_uri',
      this.config.franceConnect.postLogoutRedirectUri,
    );
    return url.href;
  }
}

/** The identity pivot from verified userinfo claims; every pivot claim must be a string. */
export function identityFrom(claims: JWTPayload): IdentityPivot {
  for (const name of IDENTITY_PIVOT_CLAIMS) {
    if (typeof claims[name] !== 'string') {
      throw new LoginError('login_userinfo_invalid', `userinfo lacks ${name}`);
    }
  }
  const identity: IdentityPivot = {
    given_name: claims.given_name as string,
    family_name: claims.family_name as string,
    birthdate: claims.birthdate as string,
    gender: claims.gender as string,
    birthplace: claims.birthplace as string,
    birthcountry: claims.birthcountry as string,
  };
  if (typeof claims.email === 'string') identity.email = claims.email;
  if (typeof claims.preferred_username === 'string') {
    identity.preferred_username = claims.preferred_username;
  }
  return identity;
}
