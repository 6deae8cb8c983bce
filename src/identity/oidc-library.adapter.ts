/**
 * The one place that relies on the internals of passport-openidconnect (and of the `oauth`
 * package it drives) and on how @nestjs/passport calls a strategy's `validate`. The FranceConnect
 * strategy goes through these functions only; nothing else in the gateway touches the library.
 *
 * passport-openidconnect is pinned at exactly {@link OIDC_LIBRARY_VERSION} in package.json. Every
 * assumption below is checked by oidc-library.adapter.spec.ts against the installed library (a
 * real token endpoint on the loopback); an upgrade that breaks one fails that test, with the
 * assumption's name, and `captureOAuth2` also refuses to start the gateway on a wrong shape.
 *
 * - A1 `strategy._oauth2` is an `oauth` OAuth2 client the library reads at each use (the library
 *   calls it "protected": subclasses may replace it), so a per-request copy can be put there.
 * - A2 `_oauth2._authorizeUrl` is where the login redirect goes, `_accessTokenUrl` where the code
 *   is exchanged; `strategy._issuer` is what the library compares the ID token's `iss` with.
 * - A3 every token-endpoint request goes through `_oauth2._executeRequest(lib, options, body, cb)`,
 *   whose `options` reach `http.request` (so an AbortSignal there bounds the call).
 * - A4 the callback phase calls `_oauth2.getOAuthAccessToken(code, params, cb)` with a mutable
 *   `params` (the token request's form) and `cb(err, accessToken, refreshToken, results)`, where
 *   `results.id_token` is the ID token and an HTTP failure is `{statusCode, data}`.
 * - A5 what `authorizationParams(options)` returns joins the authorization request, and its
 *   `nonce` is the `ctx.nonce` handed to the state store (and back to the ID token check).
 * - A6 `options.state` given to `authenticate` reaches the state store as `appState`; a request
 *   carrying `code` is treated as the callback.
 * - A7 with `passReqToCallback`, a verify callback of arity 9 receives (req, iss, profile,
 *   context, idToken, accessToken, refreshToken, params, done); @nestjs/passport's
 *   `PassportStrategy(Strategy, name, 9)` gives its callback that arity and passes them on to
 *   `validate`.
 */
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-openidconnect';
import { LoginError } from './errors.js';

export type { OidcContext, StateStore } from 'passport-openidconnect';

/** The exact version these assumptions were read in and are tested against. */
export const OIDC_LIBRARY_VERSION = '0.1.2';

/** Arity of the verify callback (A7): with the request, up to the token endpoint's answer. */
const VERIFY_ARITY = 9;

/** What `validate` receives, in order (A7). */
export type VerifyArguments = [
  req: unknown,
  issuer: string,
  profile: unknown,
  context: unknown,
  idToken: string,
  accessToken: string,
  refreshToken: string,
  params: unknown,
];

/**
 * The base class of a passport-openidconnect strategy under Nest (`validate` gets
 * {@link VerifyArguments}).
 */
export function OidcPassportStrategy(name: string) {
  return PassportStrategy(Strategy, name, VERIFY_ARITY);
}

type OAuthCallback = (
  err: unknown,
  accessToken?: string,
  refreshToken?: string,
  results?: Record<string, unknown>,
) => void;

/** The parts of the `oauth` package's OAuth2 client the library uses and we replace (A2–A4). */
export interface OAuth2 {
  _authorizeUrl: string;
  _accessTokenUrl: string;
  getOAuthAccessToken(code: string, params: Record<string, string>, cb: OAuthCallback): void;
  _executeRequest(
    lib: unknown,
    options: Record<string, unknown>,
    body: unknown,
    cb: (...args: unknown[]) => void,
  ): void;
}

interface LibraryInternals {
  _oauth2?: Partial<OAuth2>;
  _issuer?: unknown;
}

/** An assumption about the library that no longer holds: the gateway must not run on it. */
export class OidcLibraryContractError extends Error {
  constructor(assumption: string, detail: string) {
    super(
      `passport-openidconnect no longer matches assumption ${assumption} of ` +
        `src/identity/oidc-library.adapter.ts (written for ${OIDC_LIBRARY_VERSION}): ${detail}`,
    );
  }
}

/** The OAuth2 client the library built in its constructor (A1–A3), checked. */
export function captureOAuth2(strategy: object): OAuth2 {
  const internals = strategy as LibraryInternals;
  const oauth2 = internals._oauth2;
  if (!oauth2 || typeof oauth2 !== 'object') {
    throw new OidcLibraryContractError('A1', 'the strategy has no _oauth2 client');
  }
  if (typeof oauth2._authorizeUrl !== 'string' || typeof oauth2._accessTokenUrl !== 'string') {
    throw new OidcLibraryContractError('A2', '_oauth2 has no _authorizeUrl/_accessTokenUrl');
  }
  if (typeof internals._issuer !== 'string') {
    throw new OidcLibraryContractError('A2', 'the strategy has no _issuer');
  }
  if (typeof oauth2._executeRequest !== 'function' || oauth2._executeRequest.length !== 4) {
    throw new OidcLibraryContractError('A3', '_oauth2._executeRequest(lib, options, body, cb)');
  }
  if (typeof oauth2.getOAuthAccessToken !== 'function') {
    throw new OidcLibraryContractError('A4', '_oauth2.getOAuthAccessToken is missing');
  }
  return oauth2 as OAuth2;
}

/**
 * Points this request's copy of the strategy (passport's `Object.create(strategy)`) at the
 * provider found by discovery, with the given OAuth2 client (A1, A2).
 */
export function useForRequest(strategy: object, issuer: string, oauth2: OAuth2): void {
  const internals = strategy as LibraryInternals;
  internals._issuer = issuer;
  internals._oauth2 = oauth2;
}

/** What a request's OAuth2 client does around the code exchange. */
export interface TokenExchange {
  authorizeUrl: string;
  tokenUrl: string;
  /** Bounds every call to the token endpoint (A3). */
  timeoutMs: number;
  /** Adds to the token request's form (PKCE's code_verifier); throwing stops the exchange. */
  beforeExchange(form: Record<string, string>): void;
  /** Runs on the token endpoint's answer before the library reads it (ID token verification). */
  afterExchange(results: Record<string, unknown>): Promise<void>;
  /** Where a failure goes (the strategy's `error`): the library is not called back then. */
  fail(err: unknown): void;
}

/** A per-request OAuth2 client derived from the library's (A2–A4). */
export function oauth2ForRequest(base: OAuth2, exchange: TokenExchange): OAuth2 {
  const client = Object.create(base) as OAuth2;
  client._authorizeUrl = exchange.authorizeUrl;
  client._accessTokenUrl = exchange.tokenUrl;
  client._executeRequest = function (lib, options, body, cb) {
    base._executeRequest.call(
      this,
      lib,
      { ...options, signal: AbortSignal.timeout(exchange.timeoutMs) },
      body,
      cb,
    );
  };
  client.getOAuthAccessToken = function (code, form, cb) {
    try {
      exchange.beforeExchange(form);
    } catch (err) {
      exchange.fail(err);
      return;
    }
    base.getOAuthAccessToken.call(this, code, form, (err, accessToken, refreshToken, results) => {
      if (err) {
        exchange.fail(tokenEndpointError(err));
        return;
      }
      exchange.afterExchange(results ?? {}).then(() => {
        try {
          cb(null, accessToken, refreshToken, results);
        } catch (e) {
          exchange.fail(e);
        }
      }, exchange.fail);
    });
  };
  return client;
}

/** Maps a token-endpoint failure (the `oauth` package's shape, A4) to a login error. */
export function tokenEndpointError(err: unknown): LoginError {
  const { statusCode, data } = (err ?? {}) as { statusCode?: number; data?: unknown };
  if (typeof statusCode === 'number') {
    let error = '';
    try {
      error = String((JSON.parse(String(data)) as { error?: unknown }).error ?? '');
    } catch {
      // not JSON
    }
    // RFC 6749 §5.2: invalid_grant is a code that is unknown, expired, already used, or whose
    // PKCE verifier does not match.
    if (error === 'invalid_grant') {
      return new LoginError('login_code_rejected', `token endpoint: invalid_grant`);
    }
    return new LoginError(
      'login_provider_error',
      `token endpoint answered HTTP ${statusCode}${error ? ` ${error}` : ''}`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LoginError('login_provider_unavailable', `token endpoint: ${message}`);
}
