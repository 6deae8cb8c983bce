/**
 * The FranceConnect login as a passport strategy: passport-openidconnect 0.1.2 drives the
 * authorization redirect, `state` and the code exchange; this subclass closes what it leaves
 * open (test/security/oidc.e2e-spec.ts tries each gap). Every reliance on the library's
 * internals goes through oidc-library.adapter.ts:
 * - endpoints from OpenID discovery, done lazily (the gateway starts while FranceConnect is down);
 * - `state` and `nonce` of 32+ random characters kept in the server-side session (the library's
 *   nonce has 20, under FranceConnect's minimum), several logins per browser allowed;
 * - PKCE S256 (RFC 7636) when the provider advertises it;
 * - the ID token verified with jose (signature, algorithms, issuer, audience, expiry, nonce, acr)
 *   BEFORE the library parses it, so its unverified checks are only a second line;
 * - userinfo fetched and verified by us (skipUserProfile: its own fetch crashes the process on a
 *   JWT answer), with the same `sub`;
 * - time limits on the token call, which the `oauth` package lacks;
 * - every failure is a LoginError with a stable code; nothing it does can throw out of a callback.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { safeEqual } from '../common/index.js';
import { LoginError } from './errors.js';
import {
  FranceConnectClient,
  PROVIDER_TIMEOUT_MS,
  type FranceConnectProvider,
  type VerifiedIdToken,
} from './franceconnect.client.js';
import type { IdentityPivot, PendingLogin } from './identity.types.js';
import {
  OidcPassportStrategy,
  captureOAuth2,
  oauth2ForRequest,
  useForRequest,
  type OAuth2,
  type OidcContext,
  type StateStore,
  type VerifyArguments,
} from './oidc-library.adapter.js';

export const FRANCECONNECT_STRATEGY = 'franceconnect';
/** A login not completed within this time is forgotten. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
/** Logins in progress at once in one browser (tabs); the oldest is dropped. */
const MAX_PENDING_LOGINS = 3;

/** What the strategy hands to the callback route once every check passed. */
export interface FranceConnectLogin {
  sub: string;
  acr: string;
  /** Raw ID token, kept for logout's id_token_hint. */
  idToken: string;
  identity: IdentityPivot;
  returnTo: string;
}

export type FranceConnectAuthOptions =
  { phase: 'login'; returnTo: string; session: false } | { phase: 'callback'; session: false };

/** Per-request values passed from one library hook to the next. */
const pendingByRequest = new WeakMap<Request, PendingLogin>();
const verifiedIdTokens = new WeakMap<Request, VerifiedIdToken>();

function randomString(): string {
  return randomBytes(32).toString('base64url'); // 43 characters
}

/** Removes and returns the pending login whose state is `state`, if any and not expired. */
export function takePendingLogin(req: Request, state: unknown): PendingLogin | null {
  const all = req.session?.pendingLogins;
  if (!all || typeof state !== 'string' || state === '') return null;
  let found: PendingLogin | null = null;
  for (const key of Object.keys(all)) {
    if (safeEqual(key, state)) found = all[key];
  }
  if (!found) return null;
  delete all[found.state];
  req.session.pendingLogins = all;
  if (Object.keys(all).length === 0) delete req.session.pendingLogins;
  if (Date.now() - found.createdAt > PENDING_LOGIN_TTL_MS) return null;
  return found;
}

/** Keeps state, nonce, PKCE verifier and returnTo in the session between redirect and callback. */
class PendingLoginStore implements StateStore {
  store(
    req: Request,
    ctx: OidcContext,
    appState: unknown,
    _meta: unknown,
    cb: (err: unknown, handle?: string) => void,
  ): void {
    if (!req.session) {
      cb(new LoginError('login_internal_error', 'no session middleware on this path'));
      return;
    }
    const { returnTo, codeVerifier } = appState as { returnTo: string; codeVerifier?: string };
    if (!ctx.nonce) {
      cb(new LoginError('login_internal_error', 'no nonce generated'));
      return;
    }
    const pending: PendingLogin = {
      state: randomString(),
      nonce: ctx.nonce,
      codeVerifier,
      returnTo,
      createdAt: Date.now(),
    };
    const now = Date.now();
    const kept = Object.values(req.session.pendingLogins ?? {})
      .filter((p) => now - p.createdAt <= PENDING_LOGIN_TTL_MS)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, MAX_PENDING_LOGINS - 1);
    req.session.pendingLogins = Object.fromEntries(
      [pending, ...kept].map((p) => [p.state, p] as const),
    );
    cb(null, pending.state);
  }

  verify(
    req: Request,
    handle: unknown,
    cb: (err: unknown, ctx?: OidcContext | false, appState?: unknown) => void,
  ): void {
    // Single use: taken out of the session whatever comes next (a replayed callback fails here).
    const pending = takePendingLogin(req, handle);
    if (!pending) {
      cb(
        new LoginError(
          'login_state_mismatch',
          typeof handle === 'string' && handle ? 'unknown or expired state' : 'no state',
        ),
      );
      return;
    }
    pendingByRequest.set(req, pending);
    cb(null, { nonce: pending.nonce }, { returnTo: pending.returnTo });
  }
}

@Injectable()
export class FranceConnectStrategy extends OidcPassportStrategy(FRANCECONNECT_STRATEGY) {
  private readonly baseOAuth2: OAuth2;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly fc: FranceConnectClient,
  ) {
    const { issuer, clientId, clientSecret, redirectUri, scopes, acr } = config.franceConnect;
    super({
      issuer,
      // Placeholders: every request uses the endpoints found by discovery (oauth2For).
      authorizationURL: `${issuer}/authorize`,
      tokenURL: `${issuer}/token`,
      clientID: clientId,
      clientSecret,
      callbackURL: redirectUri,
      // The library prepends "openid" itself.
      scope: scopes.filter((s) => s !== 'openid'),
      acrValues: acr,
      skipUserProfile: true,
      passReqToCallback: true,
      store: new PendingLoginStore(),
    });
    this.baseOAuth2 = captureOAuth2(this);
  }

  /**
   * Passport calls this on its own per-request copy of the strategy (`Object.create(strategy)`
   * plus success/fail/redirect/error), so what is assigned to `this` here is this request's only.
   */
  override authenticate(req: Request, options: FranceConnectAuthOptions): void {
    this.prepare(req, options).catch((err: unknown) => this.error(err));
  }

  private async prepare(req: Request, options: FranceConnectAuthOptions): Promise<void> {
    const provider = await this.fc.describe();
    useForRequest(this, provider.metadata.issuer, this.oauth2For(req, provider));

    if (options.phase === 'login') {
      const codeVerifier = provider.pkce ? randomString() : undefined;
      super.authenticate(req, {
        ...options,
        nonce: randomString(),
        codeVerifier,
        state: { returnTo: options.returnTo, codeVerifier },
      });
      return;
    }

    const query = req.query as Record<string, unknown>;
    // RFC 9207: when the provider names itself in the response, it must be the one we asked
    // (mix-up attacks between several providers).
    if (query.iss !== undefined && query.iss !== provider.metadata.issuer) {
      throw new LoginError('login_callback_invalid', 'iss is another provider');
    }
    if (query.error !== undefined) {
      // An error callback must still be ours (state) before we believe it.
      const pending = takePendingLogin(req, query.state);
      if (!pending)
        throw new LoginError('login_state_mismatch', 'error callback with an unknown state');
      const error = typeof query.error === 'string' ? query.error.replace(/[^\w.-]/g, '') : '';
      if (error === 'access_denied') throw new LoginError('login_cancelled', 'access_denied');
      throw new LoginError('login_provider_error', `error callback: ${error.slice(0, 64)}`);
    }
    // Without a code the library would start a new authorization request from the callback.
    if (typeof query.code !== 'string' || query.code === '') {
      throw new LoginError('login_callback_invalid', 'no code');
    }
    if (typeof query.state !== 'string' || query.state === '') {
      throw new LoginError('login_state_mismatch', 'no state');
    }
    super.authenticate(req, options);
  }

  /** Adds PKCE (code_challenge) to the authorization request. */
  override authorizationParams(options: {
    nonce?: string;
    codeVerifier?: string;
  }): Record<string, string> {
    const params: Record<string, string> = {};
    if (options.nonce) params.nonce = options.nonce;
    if (options.codeVerifier) {
      params.code_challenge = createHash('sha256').update(options.codeVerifier).digest('base64url');
      params.code_challenge_method = 'S256';
    }
    return params;
  }

  /**
   * This request's OAuth2 client: discovered endpoints, a time limit on every call, the PKCE
   * verifier in the token request, and the ID token verified before the library reads it.
   */
  private oauth2For(req: Request, provider: FranceConnectProvider): OAuth2 {
    return oauth2ForRequest(this.baseOAuth2, {
      authorizeUrl: provider.metadata.authorization_endpoint,
      tokenUrl: provider.metadata.token_endpoint,
      timeoutMs: PROVIDER_TIMEOUT_MS,
      beforeExchange: (form) => {
        const pending = pendingByRequest.get(req);
        if (!pending) {
          throw new LoginError('login_state_mismatch', 'code exchange without a verified state');
        }
        if (pending.codeVerifier) form.code_verifier = pending.codeVerifier;
      },
      afterExchange: async (results) => {
        const pending = pendingByRequest.get(req)!;
        verifiedIdTokens.set(req, await this.fc.verifyIdToken(results.id_token, pending.nonce));
      },
      fail: (err) => this.error(err),
    });
  }

  /** Verify callback (arity 9 with the request): the ID token is verified; now userinfo. */
  async validate(...args: VerifyArguments): Promise<FranceConnectLogin> {
    const [rawReq, , , , idToken, accessToken] = args;
    const req = rawReq as Request;
    const verified = verifiedIdTokens.get(req);
    const pending = pendingByRequest.get(req);
    if (!verified || !pending) {
      throw new LoginError('login_id_token_invalid', 'ID token not verified');
    }
    const identity = await this.fc.fetchIdentity(accessToken, verified.sub);
    return { sub: verified.sub, acr: verified.acr, idToken, identity, returnTo: pending.returnTo };
  }
}
