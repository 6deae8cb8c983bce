/**
 * Client authentication at the token endpoint: client_secret_basic, client_secret_post and
 * private_key_jwt (RFC 7523). Over 350 lines: the three methods share their refusal rules
 * (one answer for every failure, decoy hashing, replay store) and stay together.
 */
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import axios from 'axios';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors as joseErrors,
  JSONWebKeySet,
  jwtVerify,
  JWTPayload,
} from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  directAgents,
  directAxiosConfig,
  hashSecret,
  outboundRequestOptions,
  verifySecret,
} from '../common/index.js';
import { RegistryService } from '../registry/index.js';
import { UsedAssertionRepository } from './used-assertion.repository.js';
import { JWT_BEARER_ASSERTION_TYPE, TokenRequestDto } from './dto/token.dto.js';
import { CLIENT_AUTH_FAILED, OAuthErrorCode, oauthError } from './errors.js';
import { type SecretClient, VerifiedSecrets } from './verified-secrets.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** Algorithms a client may sign its assertion with (RFC 7523); never `none` nor HMAC. */
export const ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'PS256'];
/** RFC 7523 §3 leaves the lifetime to us: an assertion may not live more than 5 minutes. */
const ASSERTION_MAX_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 5;
/**
 * Decoy scrypt runs at once at most (see bySecret): unknown ids cost as much as known ones,
 * but a flood of them (each id a fresh rate-limit key) cannot take libuv's whole thread pool.
 */
const DECOY_MAX_CONCURRENT = 2;
/** A client id with these never reaches the database (PostgreSQL refuses NUL in text). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** Expired replay-guard rows are purged this often. */
const PURGE_INTERVAL_MS = 10 * 60_000;

export interface AuthenticatedTokenClient {
  id: string;
  clientId: string;
  authMethod: ClientAuthMethod;
}

/** RFC 6749 §2.3.1 / Appendix B: id and secret are form-urlencoded before Basic encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). Every failure that
 * could tell whether a client id exists answers the same `invalid_client` message; details are
 * given only once the caller has proven it holds the client's secret or key.
 */
@Injectable()
export class ClientAuthenticationService implements OnModuleDestroy {
  private readonly logger = new Logger(ClientAuthenticationService.name);
  /** scrypt verifications in progress, shared by identical concurrent credentials. */
  private readonly verifying = new Map<string, Promise<boolean>>();
  /** A hash no secret matches, verified for unknown clients so they cost as much as known ones. */
  private readonly decoyHash: Promise<string> = hashSecret(randomBytes(32).toString('base64url'));
  private decoysRunning = 0;
  private readonly localKeySets = new Map<
    string,
    { source: string; keySet: ReturnType<typeof createLocalJWKSet> }
  >();
  /** jose caches each remote set (max-age 10 min, refetch on unknown kid after a 30 s cooldown). */
  private readonly remoteKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly purgeTimer: NodeJS.Timeout;
  /** For clients' jwks_uri: never through an environment proxy. */
  private readonly jwksAgents = directAgents();

  constructor(
    private readonly registry: RegistryService,
    private readonly usedAssertions: UsedAssertionRepository,
    private readonly verifiedSecrets: VerifiedSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.purgeTimer = setInterval(() => void this.purgeUsedAssertions(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
    this.jwksAgents.destroy();
  }

  get tokenEndpoint(): string {
    return `${this.config.publicUrl}/oauth/token`;
  }

  /**
   * Finds which method the request uses (exactly one, RFC 6749 §2.3) and checks it.
   * `authorization` is the raw Authorization header, if any.
   */
  async authenticate(
    form: TokenRequestDto,
    authorization?: string,
  ): Promise<AuthenticatedTokenClient> {
    const basic = authorization !== undefined;
    const post = form.client_secret !== undefined;
    const jwt = form.client_assertion !== undefined || form.client_assertion_type !== undefined;
    const used = [basic, post, jwt].filter(Boolean).length;
    if (used > 1) {
      throw oauthError(
        400,
        OAuthErrorCode.invalidRequest,
        'Use exactly one client authentication method.',
      );
    }
    if (basic) {
      const { clientId, secret } = this.parseBasic(authorization);
      if (form.client_id !== undefined && form.client_id !== clientId) {
        throw oauthError(
          400,
          OAuthErrorCode.invalidRequest,
          'client_id differs from the authenticated client.',
        );
      }
      return this.bySecret(clientId, secret, 'client_secret_basic');
    }
    if (post) {
      if (form.client_id === undefined) {
        throw oauthError(
          400,
          OAuthErrorCode.invalidRequest,
          'client_id is required with client_secret.',
        );
      }
      return this.bySecret(form.client_id, form.client_secret as string, 'client_secret_post');
    }
    if (jwt) return this.byAssertion(form);
    throw oauthError(401, OAuthErrorCode.invalidClient, 'Client authentication is required.');
  }

  private parseBasic(header: string): { clientId: string; secret: string } {
    const match = /^Basic[ ]+([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
    if (!match) throw oauthError(401, OAuthErrorCode.invalidClient, CLIENT_AUTH_FAILED);
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw oauthError(401, OAuthErrorCode.invalidClient, CLIENT_AUTH_FAILED);
    try {
      return {
        clientId: formDecode(decoded.slice(0, colon)),
        secret: formDecode(decoded.slice(colon + 1)),
      };
    } catch {
      throw oauthError(401, OAuthErrorCode.invalidClient, CLIENT_AUTH_FAILED);
    }
  }

  private async bySecret(
    clientId: string,
    secret: string,
    method: 'client_secret_basic' | 'client_secret_post',
  ): Promise<AuthenticatedTokenClient> {
    if (
      clientId.length === 0 ||
      clientId.length > 255 ||
      CONTROL_CHARACTERS.test(clientId) ||
      secret.length === 0 ||
      secret.length > 512
    ) {
      return this.fail(clientId, 'malformed credentials');
    }
    const digest = this.verifiedSecrets.digest(secret);
    const client =
      this.verifiedSecrets.recall(clientId, digest) ??
      (await this.readAndVerify(clientId, secret, digest));
    if (!client) return this.fail(clientId, 'unknown client or wrong secret');
    if (client.status !== 'active') return this.fail(clientId, 'client suspended');
    if (client.authMethod !== method) {
      // The caller holds the secret: telling it which method to use gives nothing away.
      throw oauthError(
        401,
        OAuthErrorCode.invalidClient,
        `This client is registered for ${client.authMethod}, not ${method}.`,
      );
    }
    return { id: client.id, clientId: client.clientId, authMethod: method };
  }

  /** The client row, if `secret` matches its stored hash (scrypt, unless verified lately). */
  private async readAndVerify(
    clientId: string,
    secret: string,
    digest: Buffer,
  ): Promise<SecretClient | null> {
    const generation = this.verifiedSecrets.generation;
    // Index: client(client_id) unique (the registry owns the table).
    const row = await this.registry.getClientByClientId(clientId);
    if (!row?.secretHash) {
      // Unknown client, or one without a secret: spend the same scrypt time, then refuse; but
      // never more than DECOY_MAX_CONCURRENT at once (past that, under a flood of unknown ids,
      // the refusal comes at once: the timing tells only that the gateway is busy).
      if (this.decoysRunning < DECOY_MAX_CONCURRENT) {
        this.decoysRunning += 1;
        try {
          await verifySecret(secret, await this.decoyHash);
        } finally {
          this.decoysRunning -= 1;
        }
      }
      return null;
    }
    const client: SecretClient = {
      id: row.id,
      clientId: row.clientId,
      status: row.status,
      authMethod: row.authMethod,
      secretHash: row.secretHash,
    };
    if (this.verifiedSecrets.confirm(client, digest, generation)) return client;
    // One scrypt per distinct credential at a time: when a busy client's remembered secret
    // expires, its concurrent token requests would otherwise each run scrypt on the 4-thread
    // pool. Keyed by the secret's digest too, so a wrong secret never rides on a right one's
    // verification.
    const key = `${clientId}\n${client.secretHash}\n${digest.toString('base64')}`;
    let pending = this.verifying.get(key);
    if (!pending) {
      pending = verifySecret(secret, client.secretHash)
        .catch(() => false)
        .then((ok) => {
          if (ok) this.verifiedSecrets.remember(client, digest, generation);
          return ok;
        })
        .finally(() => this.verifying.delete(key));
      this.verifying.set(key, pending);
    }
    return (await pending) ? client : null;
  }

  private async byAssertion(form: TokenRequestDto): Promise<AuthenticatedTokenClient> {
    if (form.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      throw oauthError(
        400,
        OAuthErrorCode.invalidRequest,
        `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`,
      );
    }
    const assertion = form.client_assertion;
    if (assertion === undefined) {
      throw oauthError(400, OAuthErrorCode.invalidRequest, 'client_assertion is required.');
    }
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(assertion);
    } catch {
      throw oauthError(401, OAuthErrorCode.invalidClient, 'The client assertion is not a JWT.');
    }
    const clientId = unverified.iss;
    if (
      typeof clientId !== 'string' ||
      clientId.length === 0 ||
      clientId.length > 255 ||
      CONTROL_CHARACTERS.test(clientId)
    ) {
      return this.fail(undefined, 'assertion without iss');
    }
    if (form.client_id !== undefined && form.client_id !== clientId) {
      throw oauthError(
        400,
        OAuthErrorCode.invalidRequest,
        'client_id differs from the assertion issuer.',
      );
    }
    const client = await this.registry.getClientByClientId(clientId);
    if (!client) return this.fail(clientId, 'unknown client');
    if (client.status !== 'active') return this.fail(clientId, 'client suspended');
    if (client.authMethod !== 'private_key_jwt' || (!client.jwks && !client.jwksUri)) {
      return this.fail(clientId, `assertion from a ${client.authMethod} client`);
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySetFor(client), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        // RFC 7523 §3: the token endpoint URL; RFC 7521 and most libraries also use the issuer.
        audience: [this.tokenEndpoint, this.config.publicUrl],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      // jose checks the signature before any claim: claim errors come from the key holder.
      if (err instanceof joseErrors.JWTExpired) {
        throw oauthError(401, OAuthErrorCode.invalidClient, 'The client assertion has expired.');
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw oauthError(
          401,
          OAuthErrorCode.invalidClient,
          `The client assertion's "${err.claim}" claim is invalid (${err.reason}).`,
        );
      }
      return this.fail(clientId, `assertion not verified: ${(err as Error).message}`);
    }

    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > ASSERTION_MAX_LIFETIME_S + CLOCK_TOLERANCE_S) {
      throw oauthError(
        401,
        OAuthErrorCode.invalidClient,
        `The client assertion must expire at most ${ASSERTION_MAX_LIFETIME_S} seconds ahead.`,
      );
    }
    if (payload.iat !== undefined && payload.iat > now + CLOCK_TOLERANCE_S) {
      throw oauthError(
        401,
        OAuthErrorCode.invalidClient,
        'The client assertion is issued in the future.',
      );
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 255) {
      throw oauthError(
        401,
        OAuthErrorCode.invalidClient,
        'The client assertion needs a jti of 1 to 255 characters.',
      );
    }
    if (!(await this.recordAssertion(clientId, jti, exp))) {
      throw oauthError(
        401,
        OAuthErrorCode.invalidClient,
        'The client assertion has already been used.',
      );
    }
    return { id: client.id, clientId: client.clientId, authMethod: 'private_key_jwt' };
  }

  private keySetFor(client: { clientId: string; jwks: unknown; jwksUri: string | null }) {
    if (client.jwks) {
      // Re-created only when the registered JWKS changes (importing keys is not free).
      const source = JSON.stringify(client.jwks);
      const cached = this.localKeySets.get(client.clientId);
      if (cached?.source === source) return cached.keySet;
      const keySet = createLocalJWKSet(client.jwks as JSONWebKeySet);
      this.localKeySets.set(client.clientId, { source, keySet });
      return keySet;
    }
    const uri = client.jwksUri as string;
    let remote = this.remoteKeySets.get(uri);
    if (!remote) {
      remote = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
        [customFetch]: (url, options) => this.fetchJwks(url, options),
      });
      this.remoteKeySets.set(uri, remote);
    }
    return remote;
  }

  /**
   * jose's fetch of a client's jwks_uri, through the SSRF guard: the URL as written, then every
   * address DNS answers, are checked before connecting; no redirect, no proxy, 64 KB at most.
   */
  private async fetchJwks(
    url: string,
    options: { headers: Headers; signal: AbortSignal },
  ): Promise<Response> {
    const { lookup } = outboundRequestOptions(url, this.config.outboundAllowList);
    const res = await axios.get<string>(url, {
      headers: Object.fromEntries(options.headers.entries()),
      signal: options.signal,
      lookup: lookup as never,
      ...directAxiosConfig(this.jwksAgents),
      maxRedirects: 0,
      maxContentLength: 64 * 1024,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
    const contentType = res.headers['content-type'];
    return new Response([204, 205, 304].includes(res.status) ? null : res.data, {
      status: res.status,
      headers: typeof contentType === 'string' ? { 'content-type': contentType } : {},
    });
  }

  /**
   * RFC 7523 §3 item 7: a jti is accepted once. The primary key does the check atomically
   * across instances (INSERT … ON CONFLICT DO NOTHING inserts 0 rows for a replay). A jti is
   * unique per issuer only, so the key is a digest of (client, jti): one client cannot burn
   * another's identifiers.
   */
  private async recordAssertion(clientId: string, jti: string, exp: number): Promise<boolean> {
    const key = createHash('sha256')
      .update(JSON.stringify([clientId, jti]))
      .digest('base64url');
    const expiresAt = new Date((exp + CLOCK_TOLERANCE_S) * 1000);
    return this.usedAssertions.recordOnce(key, clientId, expiresAt);
  }

  /** An assertion past its exp is refused anyway: its row is no longer needed. */
  async purgeUsedAssertions(): Promise<number> {
    try {
      return await this.usedAssertions.purgeExpired(new Date());
    } catch (err) {
      this.logger.warn({ err }, 'expired client assertions could not be purged');
      return 0;
    }
  }

  private fail(clientId: string | undefined, reason: string): never {
    this.logger.warn({ clientId: clientId?.slice(0, 100), reason }, 'client authentication failed');
    throw oauthError(401, OAuthErrorCode.invalidClient, CLIENT_AUTH_FAILED);
  }
}
