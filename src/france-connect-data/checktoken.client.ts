/**
 * Passerelle as a FranceConnect data provider: checks a service's FranceConnect access token at
 * `POST /api/v2/checktoken` (body `access_token`, `client_id`, `client_secret`, as FranceConnect
 * core's ChecktokenRequestDto) and verifies the RFC 9701 answer — a JWT of type
 * `token-introspection+jwt` signed by FranceConnect (its JWKS), for us (`aud`), possibly nested
 * in a JWE (ECDH-ES) to the key we publish — then reads the citizen's identity pivot at
 * FranceConnect's userinfo with the same token. All with jose; axios for the HTTP calls.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import axios, { type AxiosResponse } from 'axios';
import {
  compactDecrypt,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { directAgents, directAxiosConfig } from '../common/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  ALLOWED_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
  FranceConnectClient,
  IDENTITY_PIVOT_CLAIMS,
} from '../identity/index.js';
import { FranceConnectDataErrors as E } from './errors.js';

/** RFC 9701 §5: the media type of the answer and the `typ` of its JWT. */
export const INTROSPECTION_MEDIA_TYPE = 'application/token-introspection+jwt';
export const INTROSPECTION_TYP = 'token-introspection+jwt';
/** Answers are small; anything larger is not FranceConnect's. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Distinct tokens whose introspection is kept (each at most for its remaining life). */
const MAX_CACHED = 10_000;

/** A verified, active introspection. */
export interface Introspection {
  /** Pairwise subject FranceConnect gives Passerelle (its data-provider entity). */
  sub: string;
  /** The FranceConnect client_id of the service the token was issued to. */
  clientId: string;
  scopes: string[];
  /** Token expiry, epoch seconds. */
  exp: number;
}

type IdentityClaims = Partial<Record<(typeof IDENTITY_PIVOT_CLAIMS)[number], string>>;

function isJoseUnreachable(err: unknown): boolean {
  return err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid;
}

function joseReason(err: unknown): string {
  if (err instanceof joseErrors.JOSEError) {
    const claim = (err as { claim?: string }).claim;
    return claim ? `${err.code} (${claim})` : err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

function mediaType(res: AxiosResponse): string {
  return String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

@Injectable()
export class ChecktokenClient implements OnModuleDestroy {
  private readonly logger = new Logger(ChecktokenClient.name);
  /** sha256(token) -> introspection, dropped at the token's expiry (never served past it). */
  private readonly cache = new Map<string, Introspection>();
  private readonly shutdown = new AbortController();
  /** Keep-alive, and never through an environment proxy. */
  private readonly agents = directAgents();
  private readonly settings: NonNullable<AppConfig['franceConnectData']>;
  private readonly decryptionKey: ReturnType<typeof createPrivateKey> | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly fc: FranceConnectClient,
  ) {
    if (!config.franceConnectData) throw new Error('API FranceConnectée is not configured');
    this.settings = config.franceConnectData;
    const jwk = this.settings.encryptionKey;
    this.decryptionKey = jwk ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : null;
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
    this.agents.destroy();
  }

  /** The public half of our encryption key, as FranceConnect fetches it (`use: enc`). */
  encryptionJwks(): { keys: Record<string, unknown>[] } {
    if (!this.decryptionKey) return { keys: [] };
    const pub = createPublicKey(this.decryptionKey).export({ format: 'jwk' });
    const kid = createHash('sha256')
      .update(JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y }))
      .digest('base64url');
    return { keys: [{ ...pub, kid, use: 'enc', alg: 'ECDH-ES' }] };
  }

  /**
   * The token's verified introspection, from the cache while the token lives. Throws ApiError:
   * 401 inactive/expired/forged, 503 FranceConnect unreachable, 502 not an introspection.
   */
  async introspect(accessToken: string, now = Date.now()): Promise<Introspection> {
    const key = createHash('sha256').update(accessToken).digest('base64url');
    const cached = this.cache.get(key);
    if (cached) {
      if (cached.exp * 1000 > now) return cached;
      this.cache.delete(key);
    }
    const result = await this.check(accessToken);
    if (result.exp * 1000 > Date.now()) {
      if (this.cache.size >= MAX_CACHED) {
        for (const [k, v] of this.cache) if (v.exp * 1000 <= now) this.cache.delete(k);
        if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      }
      this.cache.set(key, result);
    }
    return result;
  }

  private async check(accessToken: string): Promise<Introspection> {
    const provider = await this.fc.describe().catch(() => {
      throw E.franceConnectUnavailable();
    });
    let res: AxiosResponse<string>;
    try {
      res = await axios.post<string>(
        this.settings.checktokenUrl,
        new URLSearchParams({
          access_token: accessToken,
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
        }).toString(),
        {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: INTROSPECTION_MEDIA_TYPE,
          },
          timeout: this.settings.timeoutMs,
          signal: AbortSignal.any([
            this.shutdown.signal,
            AbortSignal.timeout(this.settings.timeoutMs),
          ]),
          responseType: 'text',
          transformResponse: (d: unknown) => d,
          maxContentLength: MAX_ANSWER_BYTES,
          maxRedirects: 0,
          validateStatus: () => true,
          ...directAxiosConfig(this.agents),
        },
      );
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'checktoken unreachable');
      throw E.franceConnectUnavailable();
    }
    if (res.status === 401 || res.status === 403) {
      // Our own credentials were refused: an operator must fix FC_DATA_PROVIDER_*.
      this.logger.error(
        { status: res.status },
        'FranceConnect refused our data-provider credentials',
      );
      throw E.franceConnectUnavailable(60);
    }
    if (res.status >= 500 || res.status === 429) {
      this.logger.warn({ status: res.status }, 'checktoken failed');
      throw E.franceConnectUnavailable();
    }
    if (res.status !== 200 || mediaType(res) !== INTROSPECTION_MEDIA_TYPE) {
      this.logger.warn(
        { status: res.status, type: mediaType(res) },
        'checktoken: not an introspection',
      );
      throw E.franceConnectInvalidResponse();
    }
    let jwt = String(res.data ?? '').trim();
    const parts = jwt.split('.').length;
    if (parts === 5) jwt = await this.decrypt(jwt);
    else if (parts !== 3) throw E.franceConnectInvalidResponse();
    try {
      decodeProtectedHeader(jwt);
      decodeJwt(jwt);
    } catch {
      throw E.franceConnectInvalidResponse();
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, provider.jwks, {
        issuer: provider.metadata.issuer,
        audience: this.settings.clientId,
        algorithms: ALLOWED_ALGORITHMS,
        typ: INTROSPECTION_TYP,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iat'],
      }));
    } catch (err) {
      if (isJoseUnreachable(err)) throw E.franceConnectUnavailable();
      this.logger.warn({ reason: joseReason(err) }, 'checktoken answer refused');
      throw E.invalidToken('The token introspection could not be verified.');
    }
    const ti = payload.token_introspection as Record<string, unknown> | undefined;
    if (!ti || typeof ti !== 'object' || ti.active !== true) {
      throw E.invalidToken('The access token is not active (expired, revoked or unknown).');
    }
    const nowSeconds = Math.floor(Date.now() / 1000);
    if (
      typeof ti.sub !== 'string' ||
      ti.sub === '' ||
      typeof ti.client_id !== 'string' ||
      ti.client_id === '' ||
      typeof ti.exp !== 'number' ||
      (ti.iss !== undefined && ti.iss !== provider.metadata.issuer)
    ) {
      throw E.invalidToken('The token introspection could not be verified.');
    }
    if (ti.exp <= nowSeconds) throw E.invalidToken('The access token has expired.');
    return {
      sub: ti.sub,
      clientId: ti.client_id,
      scopes: typeof ti.scope === 'string' ? ti.scope.split(' ').filter(Boolean) : [],
      exp: ti.exp,
    };
  }

  /** RFC 9701 §5: a JWE (ECDH-ES) to our published key, nesting the signed introspection. */
  private async decrypt(jwe: string): Promise<string> {
    if (!this.decryptionKey) {
      throw E.invalidToken('The token introspection is encrypted to a key Passerelle lacks.');
    }
    try {
      const { plaintext } = await compactDecrypt(jwe, this.decryptionKey, {
        keyManagementAlgorithms: ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'],
        contentEncryptionAlgorithms: ['A256GCM', 'A128GCM', 'A256CBC-HS512', 'A128CBC-HS256'],
      });
      return new TextDecoder().decode(plaintext);
    } catch (err) {
      this.logger.warn({ reason: joseReason(err) }, 'checktoken answer could not be decrypted');
      throw E.invalidToken('The token introspection could not be decrypted.');
    }
  }

  /**
   * The identity pivot at FranceConnect's userinfo with the citizen's access token (as
   * FranceConnect documents for data providers): a JWT signed by FranceConnect for the service
   * the token was issued to. Only `needed` claims are required.
   */
  async identity(
    accessToken: string,
    serviceClientId: string,
    needed: string[],
  ): Promise<IdentityClaims> {
    const provider = await this.fc.describe().catch(() => {
      throw E.franceConnectUnavailable();
    });
    let res: AxiosResponse<string>;
    try {
      res = await axios.get<string>(provider.metadata.userinfo_endpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/jwt' },
        timeout: this.settings.timeoutMs,
        signal: AbortSignal.any([
          this.shutdown.signal,
          AbortSignal.timeout(this.settings.timeoutMs),
        ]),
        responseType: 'text',
        transformResponse: (d: unknown) => d,
        maxContentLength: MAX_ANSWER_BYTES,
        maxRedirects: 0,
        validateStatus: () => true,
        ...directAxiosConfig(this.agents),
      });
    } catch {
      throw E.franceConnectUnavailable();
    }
    if (res.status === 401) throw E.invalidToken('FranceConnect no longer accepts this token.');
    if (res.status >= 500 || res.status === 429) throw E.franceConnectUnavailable();
    if (res.status !== 200 || mediaType(res) !== 'application/jwt') {
      throw E.franceConnectInvalidResponse();
    }
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(String(res.data).trim(), provider.jwks, {
        issuer: provider.metadata.issuer,
        audience: serviceClientId,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      if (isJoseUnreachable(err)) throw E.franceConnectUnavailable();
      this.logger.warn({ reason: joseReason(err) }, 'userinfo answer refused');
      throw E.invalidToken('FranceConnect’s identity answer could not be verified.');
    }
    const missing = needed.filter((c) => typeof claims[c] !== 'string');
    if (missing.length) throw E.identityNotGranted(missing);
    const identity: IdentityClaims = {};
    for (const name of IDENTITY_PIVOT_CLAIMS) {
      if (typeof claims[name] === 'string') identity[name] = claims[name];
    }
    return identity;
  }
}
