import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { ClientSnapshot, ClientStatusCache } from './client-status.cache.js';
import { invalidToken } from './errors.js';
import { SigningKeyService } from '../signing/index.js';

/** RFC 9068 §2.1: access tokens are typed, so no other JWT we sign passes for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Verified tokens are remembered (by their exact string) until they expire, at most this long,
 * and only while their signing key is in this instance's key set: a retired key's tokens stop
 * at once here and, as without the cache, within SigningKeyService's reload delay elsewhere.
 */
const VERIFIED_TOKEN_MAX_AGE_MS = 60_000;
const VERIFIED_TOKEN_MAX = 10_000;

/** The authenticated caller of a client API, as `@CurrentClient()` gives it. */
export interface AuthenticatedClient extends ClientSnapshot {
  /** Dataset ids the token's `scope` claim lists. */
  scopes: string[];
  /** The access token's `jti`. */
  tokenId: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the scheme name is case-insensitive. */
const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i;

/** The bearer token of an `Authorization` header value, or null when there is none. */
export function bearerToken(header: unknown): string | null {
  const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
  return match ? match[1] : null;
}

/** One answer for a bad signature, algorithm, audience, type, or a suspended client. */
const TOKEN_INVALID = 'The access token is not valid (signature, issuer, audience or client).';

/**
 * A request's authentication, kept on the request itself, so that a request is authenticated
 * once however many guards ask (the rate-limit guard keys its bucket on the client, then
 * ClientAuthGuard needs the client): one verification, one client-status read per request
 * (issue 13). It goes with the request. Not in a WeakMap keyed by the request, as it was: the
 * entry's value (the pending authentication, whose continuations hold the request) refers back
 * to its key, and V8's young-generation collections keep such an entry, so every request, its
 * answer and what they reference were copied into the old generation and left for the next
 * full collection (issue 14, measured with --trace-gc-nvp on the bench's client_me route at
 * concurrency 1: 1.28 MB promoted per young collection with the WeakMap, 0.04 MB without, and
 * 3 408 against 5 026 requests a second).
 */
const AUTHENTICATION = Symbol('passerelle.requestAuthentication');

interface RequestAuthentication {
  token: string;
  result: Promise<AuthenticatedClient>;
}

/** Issues and checks client access tokens (RFC 9068 profile, ES256, signed by our keys). */
@Injectable()
export class AccessTokenService {
  /**
   * token string -> its verified payload. An ES256 verification costs more CPU than the rest of
   * the bearer guard together, and a client sends the same token for minutes; Only tokens that verified
   * get in, so nothing forged can be planted; expiry is re-checked on every hit; the client's
   * status is still read (ClientStatusCache) on every request. Within one request the guards
   * share one authentication (authenticateRequest); this cache spares the verification across
   * the requests of one token.
   */
  private readonly verified = new Map<
    string,
    { payload: JWTPayload; kid: string; until: number }
  >();

  constructor(
    private readonly keys: SigningKeyService,
    private readonly clients: ClientStatusCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(clientId: string, scopes: string[]): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = this.config.accessTokenTtlSeconds;
    const scope = scopes.join(' ');
    const accessToken = await this.keys.sign(
      { client_id: clientId, scope, iat: now, nbf: now, jti: randomUUID() },
      {
        typ: ACCESS_TOKEN_TYP,
        audience: this.config.publicUrl,
        subject: clientId,
        expiresInSeconds: expiresIn,
      },
    );
    return { accessToken, expiresIn, scope };
  }

  /**
   * authenticate(token), once per request: a second guard asking about the same request and
   * token gets the first one's result (or its refusal).
   */
  authenticateRequest(req: object, token: string): Promise<AuthenticatedClient> {
    const held = req as { [AUTHENTICATION]?: RequestAuthentication };
    const known = held[AUTHENTICATION];
    if (known && known.token === token) return known.result;
    const result = this.authenticate(token);
    // The first caller may ignore a refusal (the rate-limit guard does): no unhandled rejection.
    result.catch(() => undefined);
    held[AUTHENTICATION] = { token, result };
    return result;
  }

  /**
   * Verifies a bearer token and that its client is still active. Throws a 401 `invalid_token`
   * problem on any failure: "expired" for a token of ours past its lifetime (the client should
   * get a new one), else one detail whatever the cause (signature, algorithm, audience,
   * suspended client): the caller learns only that the token is not good.
   */
  async authenticate(token: string): Promise<AuthenticatedClient> {
    let payload;
    try {
      payload = await this.verify(token);
    } catch (err) {
      // jose checks the signature before the claims: "expired" is said only of a token we
      // signed, so it tells a forger nothing. Anything else stays one undifferentiated answer.
      if ((err as { code?: unknown })?.code === 'ERR_JWT_EXPIRED') {
        throw invalidToken(
          'The access token has expired: request a new one at /oauth/token.',
          true,
        );
      }
      throw invalidToken(TOKEN_INVALID, true);
    }
    const clientId = payload.client_id;
    if (
      typeof clientId !== 'string' ||
      payload.sub !== clientId ||
      typeof payload.jti !== 'string'
    ) {
      throw invalidToken(TOKEN_INVALID, true);
    }
    const client = await this.clients.get(clientId);
    if (!client || client.status !== 'active') {
      throw invalidToken(TOKEN_INVALID, true);
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return { ...client, scopes: scope.split(' ').filter(Boolean), tokenId: payload.jti };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit) {
      // A key withdrawn since (SigningKeyService.retire) no longer vouches for the token.
      if (hit.until > now && this.keys.accepts(hit.kid)) return hit.payload;
      this.verified.delete(token);
    }
    const { payload, protectedHeader } = await this.keys.verify(token, {
      typ: ACCESS_TOKEN_TYP,
      audience: this.config.publicUrl,
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
    });
    if (this.verified.size >= VERIFIED_TOKEN_MAX) {
      // Map keeps insertion order: drop the oldest entry.
      this.verified.delete(this.verified.keys().next().value as string);
    }
    const until = Math.min((payload.exp as number) * 1000, now + VERIFIED_TOKEN_MAX_AGE_MS);
    this.verified.set(token, { payload, kid: protectedHeader.kid as string, until });
    return payload;
  }
}
