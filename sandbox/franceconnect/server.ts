/**
 * A local FranceConnect v2 sandbox built on `oidc-provider`: a separate HTTP server that the
 * gateway only ever talks to over HTTP (demo mode and the jest tests each start one on their own
 * port). It mirrors what an integrator of FranceConnect v2 meets: endpoints under `/api/v2`, ES256,
 * pairwise `sub`, `acr=eidas1`, `state` and `nonce` of at least 32 characters, short-lived code and
 * tokens, userinfo as a signed JWT, RP-initiated logout with `id_token_hint`, one scope per claim
 * plus `profile`, `birth` and `identite_pivot`. The citizens are those of `../citizens.ts`.
 *
 * For the gateway's negative tests a fault can be set (`setFault` or `POST /__sandbox/fault`): the
 * sandbox still runs the real flow but tampers with the ID token returned by /token or with the
 * userinfo JWT.
 *
 * Over 350 lines on purpose: one oidc-provider configuration and the routes around it
 * (interactions, checktoken, logout, faults) share the provider instance and the sandbox's state;
 * split, each part would need all of them. Its HTML pages live in pages.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as jose from 'jose';
import Provider, {
  errors,
  type InteractionDetails,
  type KoaContextWithOIDC,
  type OidcSession,
} from 'oidc-provider';
import { findCitizen, type TestCitizen } from '../citizens.js';
import { SandboxStore } from './memory-adapter.js';
import { errorPage, homePage, loggedOutPage, loginPage, sendHtml } from './pages.js';

export interface SandboxClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  /**
   * FranceConnect computes a citizen's pairwise `sub` per entity (several services of one
   * organisation share it); default: the client_id.
   */
  entity?: string;
}

/**
 * A data provider (fournisseur de données) registered at FranceConnect: it calls
 * `POST /api/v2/checktoken` with these credentials to check a service's access token.
 */
export interface SandboxDataProvider {
  client_id: string;
  client_secret: string;
  /** Pairwise `sub` computed for this entity (default: the client_id). */
  entity?: string;
  /**
   * When set, checktoken answers are encrypted (JWE ECDH-ES + A256GCM) to the `use: enc` EC
   * key published at this JWKS URL (fetched at each answer: no cache to go stale in tests).
   */
  encryption_jwks_uri?: string;
}

/** Data scopes of the demo catalogue, named as FranceConnect names API FranceConnectée scopes. */
export const DEFAULT_DATA_SCOPES: readonly string[] = [
  'cnaf_quotient_familial',
  'france_travail_statut',
  'mesr_statut_etudiant',
  'dgfip_avis_imposition',
];

/** RFC 9701 media type of a JWT introspection answer. */
export const TOKEN_INTROSPECTION_JWT_TYPE = 'application/token-introspection+jwt';

export type FranceConnectFault =
  | null
  | 'id_token_wrong_key'
  | 'id_token_alg_none'
  | 'id_token_wrong_audience'
  | 'id_token_wrong_nonce'
  | 'id_token_no_acr'
  | 'id_token_expired'
  | 'userinfo_other_sub'
  | 'userinfo_wrong_key'
  | 'checktoken_wrong_key'
  | 'checktoken_alg_none'
  | 'checktoken_wrong_audience'
  | 'checktoken_slow'
  | 'checktoken_error'
  | 'checktoken_garbage';

export const FRANCECONNECT_FAULTS: readonly Exclude<FranceConnectFault, null>[] = [
  'id_token_wrong_key',
  'id_token_alg_none',
  'id_token_wrong_audience',
  'id_token_wrong_nonce',
  'id_token_no_acr',
  'id_token_expired',
  'userinfo_other_sub',
  'userinfo_wrong_key',
  'checktoken_wrong_key',
  'checktoken_alg_none',
  'checktoken_wrong_audience',
  'checktoken_slow',
  'checktoken_error',
  'checktoken_garbage',
];

/** How long `checktoken_slow` holds the answer back. */
export const CHECKTOKEN_SLOW_MS = 3000;

export interface FranceConnectSandbox {
  /** `http://<host>:<port>/api/v2` */
  issuer: string;
  /** `http://<host>:<port>` (no trailing slash) */
  url: string;
  port: number;
  setFault(f: FranceConnectFault): void;
  /** Lifetime of access tokens issued from now on (null: back to the start option or 60 s). */
  setAccessTokenTtl(seconds: number | null): void;
  /** Encrypt this data provider's checktoken answers to the key at `jwksUri` (null: don't). */
  setDataProviderEncryption(clientId: string, jwksUri: string | null): void;
  close(): Promise<void>;
}

export interface FranceConnectSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on and host name of the issuer; default `localhost`. */
  host?: string;
  clients: SandboxClient[];
  /** Registered data providers (checktoken callers). */
  dataProviders?: SandboxDataProvider[];
  /** Data scopes a service may ask for (default DEFAULT_DATA_SCOPES). */
  dataScopes?: readonly string[];
  /** Access token lifetime in seconds (FranceConnect: 60); shorter in tests of expiry. */
  accessTokenTtlSeconds?: number;
  /** When set, `POST /__sandbox/fault` also needs `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
  /** Override the public base URL (issuer = `<publicUrl>/api/v2`), e.g. behind a proxy. */
  publicUrl?: string;
  /** Log oidc-provider server errors to stderr (default true). */
  logErrors?: boolean;
}

/** The path prefix of every FranceConnect v2 endpoint. */
export const FC_PREFIX = '/api/v2';
/** The only level of guarantee this sandbox's citizens log in at. */
export const FC_ACR = 'eidas1';
/** FranceConnect v2 rejects a `state` or a `nonce` shorter than this. */
export const FC_MIN_STATE_NONCE_LENGTH = 32;
/** What FranceConnect answers in `error_description` when the user cancels. */
export const FC_CANCEL_DESCRIPTION = 'User auth aborted';
/**
 * Pairwise subjects must stay stable across restarts (the gateway keys citizens on them), so the
 * salt is a constant of the sandbox, not a start-time secret.
 */
const PAIRWISE_SALT = 'passerelle-franceconnect-sandbox-v1';

const CLAIM_SCOPES: Record<string, string[]> = {
  // OpenID Connect style groups, as FranceConnect v2 defines them
  profile: [
    'given_name',
    'given_name_array',
    'family_name',
    'birthdate',
    'gender',
    'preferred_username',
  ],
  birth: ['birthplace', 'birthcountry'],
  identite_pivot: [
    'given_name',
    'given_name_array',
    'family_name',
    'birthdate',
    'gender',
    'birthplace',
    'birthcountry',
  ],
  // and one scope per claim
  given_name: ['given_name', 'given_name_array'],
  family_name: ['family_name'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  birthplace: ['birthplace'],
  birthcountry: ['birthcountry'],
  email: ['email'],
  preferred_username: ['preferred_username'],
};

/** The claims of a test citizen, in FranceConnect's formats (`sub` is made pairwise later). */
export function franceConnectClaims(citizen: TestCitizen): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    sub: citizen.login,
    given_name: citizen.given_name,
    given_name_array: citizen.given_name.split(' ').filter(Boolean),
    family_name: citizen.family_name,
    birthdate: citizen.birthdate,
    gender: citizen.gender,
    birthplace: citizen.birthplace,
    birthcountry: citizen.birthcountry,
    email: citizen.email,
  };
  if (citizen.preferred_username) claims.preferred_username = citizen.preferred_username;
  return claims;
}

/** FranceConnect's pairwise subject: hex SHA-256 + `v1`, one per (citizen, client). */
export function pairwiseSubject(accountId: string, clientId: string): string {
  return (
    createHash('sha256').update(`${accountId}:${clientId}:${PAIRWISE_SALT}`).digest('hex') + 'v1'
  );
}

function isFault(value: unknown): value is FranceConnectFault {
  return (
    value === null || FRANCECONNECT_FAULTS.includes(value as Exclude<FranceConnectFault, null>)
  );
}

function isLoopback(address: string | undefined): boolean {
  return (
    address === '127.0.0.1' ||
    address === '::1' ||
    address === '::ffff:127.0.0.1' ||
    (address?.startsWith('127.') ?? false)
  );
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export async function startFranceConnectSandbox(
  opts: FranceConnectSandboxOptions,
): Promise<FranceConnectSandbox> {
  const host = opts.host ?? 'localhost';
  const logErrors = opts.logErrors ?? true;

  // Listen first: with port 0 the issuer needs the port the OS gave us.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = (opts.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');
  const issuer = `${url}${FC_PREFIX}`;

  try {
    // Keys: the real signing key (published in the JWKS) and a foreign one for the faults.
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const privateJwk = await jose.exportJWK(privateKey);
    const kid = await jose.calculateJwkThumbprint(privateJwk);
    const signingJwk = { ...privateJwk, kid, alg: 'ES256', use: 'sig' };
    const { privateKey: foreignKey } = await jose.generateKeyPair('ES256');

    let fault: FranceConnectFault = null;
    const store = new SandboxStore();
    const dataScopes = [...(opts.dataScopes ?? DEFAULT_DATA_SCOPES)];
    const entities = new Map(opts.clients.map((c) => [c.client_id, c.entity ?? c.client_id]));
    const dataProviders = (opts.dataProviders ?? []).map((d) => ({ ...d }));
    let accessTokenTtl: number | null = null;

    const cookieOptions = { httpOnly: true, sameSite: 'lax', signed: true, path: '/' };
    const shortCookieOptions = { httpOnly: true, sameSite: 'lax', signed: true };

    const clientMetadata = {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
      application_type: 'web',
      // FranceConnect always answers acr (and auth_time) in the ID token, asked for or not.
      default_acr_values: [FC_ACR],
      require_auth_time: true,
    };

    const provider = new Provider(issuer, {
      adapter: (model: string) => store.adapterFor(model),
      clients: opts.clients.map((c) => ({
        ...clientMetadata,
        client_id: c.client_id,
        client_secret: c.client_secret,
        redirect_uris: c.redirect_uris,
        post_logout_redirect_uris: c.post_logout_redirect_uris,
        // oidc-provider wants a sector_identifier_uri for a pairwise client whose redirect URIs
        // span several hosts (localhost and 127.0.0.1…). Our subs are per client, not per sector,
        // so give it a nominal one and never fetch it (sectorIdentifierUriValidate below).
        ...(new Set(c.redirect_uris.map((u) => new URL(u).host)).size > 1
          ? {
              sector_identifier_uri: `https://franceconnect-sandbox.invalid/sector/${encodeURIComponent(c.client_id)}`,
            }
          : {}),
      })),
      sectorIdentifierUriValidate: () => false,
      clientDefaults: clientMetadata,
      jwks: { keys: [signingJwk] },
      cookies: {
        keys: [randomBytes(32).toString('base64url')],
        names: {
          session: 'fc_sandbox_session',
          interaction: 'fc_sandbox_interaction',
          resume: 'fc_sandbox_interaction_resume',
        },
        long: cookieOptions,
        short: shortCookieOptions,
      },
      routes: {
        authorization: '/authorize',
        token: '/token',
        userinfo: '/userinfo',
        end_session: '/session/end',
        jwks: '/jwks',
      },
      acrValues: ['eidas1', 'eidas2', 'eidas3'],
      // Data scopes carry no claim: they are what checktoken reports to data providers.
      scopes: ['openid', ...dataScopes],
      claims: {
        acr: null,
        auth_time: null,
        iss: null,
        sid: null,
        openid: ['sub'],
        ...CLAIM_SCOPES,
      },
      responseTypes: ['code'],
      subjectTypes: ['pairwise'],
      pairwiseIdentifier: async (_ctx: unknown, accountId: string, client: { clientId: string }) =>
        pairwiseSubject(accountId, entities.get(client.clientId) ?? client.clientId),
      clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
      enabledJWA: {
        idTokenSigningAlgValues: ['ES256'],
        userinfoSigningAlgValues: ['ES256'],
      },
      pkce: { required: () => false },
      allowOmittingSingleRegisteredRedirectUri: false,
      ttl: {
        AuthorizationCode: 30,
        AccessToken: () => accessTokenTtl ?? opts.accessTokenTtlSeconds ?? 60,
        IdToken: 60,
        Interaction: 10 * 60,
        Session: 30 * 60,
        Grant: 30 * 60,
      },
      // FranceConnect-specific authorization parameter; its validator is also where the sandbox
      // enforces FranceConnect's rules on state and nonce (it runs after redirect_uri is checked,
      // so the error goes back to the client with its state).
      extraParams: {
        idp_hint: (ctx: KoaContextWithOIDC) => {
          const { state, nonce } = ctx.oidc.params;
          if (typeof state !== 'string' || state.length < FC_MIN_STATE_NONCE_LENGTH) {
            throw new errors.InvalidRequest(
              `state is mandatory and must be at least ${FC_MIN_STATE_NONCE_LENGTH} characters long`,
            );
          }
          if (typeof nonce !== 'string' || nonce.length < FC_MIN_STATE_NONCE_LENGTH) {
            throw new errors.InvalidRequest(
              `nonce is mandatory and must be at least ${FC_MIN_STATE_NONCE_LENGTH} characters long`,
            );
          }
        },
      },
      findAccount: async (_ctx: unknown, id: string) => {
        const citizen = findCitizen(id);
        if (!citizen) return undefined;
        return { accountId: citizen.login, claims: async () => franceConnectClaims(citizen) };
      },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) =>
          `${FC_PREFIX}/interaction/${interaction.uid}`,
      },
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        resourceIndicators: { enabled: false },
        claimsParameter: { enabled: false },
        userinfo: { enabled: true },
        jwtUserinfo: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          // Called by oidc-provider once it has validated id_token_hint (signature, client) and
          // post_logout_redirect_uri, and only when a session exists: log out at once instead of
          // asking for a click, so a headless cookie-jar client completes the round trip.
          logoutSource: async (ctx: KoaContextWithOIDC) => {
            const session = ctx.oidc.session;
            if (session) await endSession(ctx, session);
            redirectAfterLogout(ctx);
          },
          postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
            ctx.type = 'html';
            ctx.body = loggedOutPage();
          },
        },
      },
      renderError: async (
        ctx: KoaContextWithOIDC,
        out: { error?: string; error_description?: string },
      ) => {
        ctx.type = 'html';
        ctx.body = errorPage('Une erreur est survenue', {
          error: out.error,
          error_description: out.error_description,
        });
      },
    });

    // Static clients are validated lazily by oidc-provider: load them now to fail at start.
    for (const c of opts.clients) {
      try {
        await provider.Client.find(c.client_id);
      } catch (err) {
        const e = err as { error_description?: string; message?: string };
        throw new Error(
          `invalid FranceConnect sandbox client ${c.client_id}: ${e.error_description ?? e.message}`,
          { cause: err },
        );
      }
    }

    async function endSession(ctx: KoaContextWithOIDC, session: OidcSession): Promise<void> {
      for (const { grantId } of Object.values(session.authorizations ?? {})) {
        if (!grantId) continue;
        await provider.AccessToken.revokeByGrantId(grantId);
        await provider.AuthorizationCode.revokeByGrantId(grantId);
        const grant = await provider.Grant.find(grantId);
        await grant?.destroy();
      }
      await session.destroy();
      ctx.cookies.set(provider.cookieName('session'), null, { ...cookieOptions, overwrite: true });
    }

    function redirectAfterLogout(ctx: KoaContextWithOIDC): void {
      // oidc-provider clears post_logout_redirect_uri when no client was identified and rejects
      // an unregistered one before we get here.
      const { post_logout_redirect_uri: target, state } = ctx.oidc.params;
      let location: string;
      if (target) {
        const u = new URL(target);
        if (state !== undefined) u.searchParams.set('state', state);
        location = u.href;
      } else {
        location = ctx.oidc.urlFor('end_session_success');
      }
      ctx.status = 303;
      ctx.redirect(location);
    }

    /** RFC 9701 §5: the signed answer nested in a JWE to the data provider's `enc` key. */
    async function encryptFor(jwksUri: string, jwt: string): Promise<string> {
      const res = await fetch(jwksUri, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`data provider JWKS answered HTTP ${res.status}`);
      const { keys } = (await res.json()) as { keys?: jose.JWK[] };
      const jwk = keys?.find((k) => k.use === 'enc' && k.kty === 'EC');
      if (!jwk) throw new Error('data provider publishes no EC encryption key');
      const key = await jose.importJWK(jwk, 'ECDH-ES');
      return new jose.CompactEncrypt(new TextEncoder().encode(jwt))
        .setProtectedHeader({
          alg: 'ECDH-ES',
          enc: 'A256GCM',
          cty: 'JWT',
          typ: 'token-introspection+jwt',
          ...(jwk.kid ? { kid: jwk.kid } : {}),
        })
        .encrypt(key);
    }

    async function resign(
      jwt: string,
      mutate: (payload: jose.JWTPayload) => void,
      key: jose.CryptoKey = privateKey,
    ): Promise<string> {
      const header = jose.decodeProtectedHeader(jwt);
      const payload = jose.decodeJwt(jwt);
      mutate(payload);
      // Same kid as the real key even for the foreign key: the verifier must check the signature.
      return new jose.SignJWT(payload)
        .setProtectedHeader({ ...header, alg: 'ES256', kid })
        .sign(key);
    }

    async function tamperIdToken(jwt: string, f: FranceConnectFault): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      switch (f) {
        case 'id_token_wrong_key':
          return resign(jwt, () => undefined, foreignKey);
        case 'id_token_alg_none':
          return `${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(jose.decodeJwt(jwt))}.`;
        case 'id_token_wrong_audience':
          return resign(jwt, (p) => {
            p.aud = 'another-service-provider';
          });
        case 'id_token_wrong_nonce':
          return resign(jwt, (p) => {
            p.nonce = randomBytes(32).toString('base64url');
          });
        case 'id_token_no_acr':
          return resign(jwt, (p) => {
            delete p.acr;
          });
        case 'id_token_expired':
          return resign(jwt, (p) => {
            p.iat = now - 2 * 3600;
            p.exp = now - 3600;
            if (typeof p.auth_time === 'number') p.auth_time = now - 2 * 3600;
          });
        default:
          return jwt;
      }
    }

    async function tamperUserinfo(jwt: string, f: FranceConnectFault): Promise<string> {
      switch (f) {
        case 'userinfo_other_sub':
          return resign(jwt, (p) => {
            p.sub = pairwiseSubject(`someone-else-${randomBytes(8).toString('hex')}`, 'x');
          });
        case 'userinfo_wrong_key':
          return resign(jwt, () => undefined, foreignKey);
        default:
          return jwt;
      }
    }

    // Runs around oidc-provider's router: after `next()` the response is built but not sent.
    provider.use(async (ctx, next) => {
      await next();
      const route = ctx.oidc?.route;
      if (!route) return;
      const current = fault;
      if (
        route === 'token' &&
        ctx.status === 200 &&
        current?.startsWith('id_token_') &&
        typeof ctx.body === 'object' &&
        ctx.body !== null &&
        typeof (ctx.body as { id_token?: unknown }).id_token === 'string'
      ) {
        const body = ctx.body as { id_token: string };
        ctx.body = { ...body, id_token: await tamperIdToken(body.id_token, current) };
      } else if (
        route === 'userinfo' &&
        ctx.status === 200 &&
        current?.startsWith('userinfo_') &&
        typeof ctx.body === 'string'
      ) {
        ctx.body = await tamperUserinfo(ctx.body, current);
        ctx.type = 'application/jwt; charset=utf-8';
      } else if (route === 'resume' && ctx.status === 200) {
        // Another citizen logged in over an existing sandbox session (prompt=login): oidc-provider
        // first logs the previous one out through an auto-submitting (JavaScript) form to
        // /session/end/confirm, then resumes. Do that logout here and go straight back to resume.
        const session = ctx.oidc.session;
        const resumeUrl = session?.state?.postLogoutRedirectUri;
        if (session && typeof resumeUrl === 'string') {
          await endSession(ctx, session);
          ctx.status = 303;
          ctx.redirect(resumeUrl);
        }
      } else if (route === 'end_session' && ctx.status === 200) {
        // No session at the sandbox (already logged out, other browser): oidc-provider would
        // render an auto-submitting form; go straight back to the client instead.
        redirectAfterLogout(ctx);
      }
    });

    if (logErrors) {
      provider.on('server_error', (_ctx: unknown, err: unknown) => {
        console.error('[franceconnect-sandbox] server_error', err);
      });
    }

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    const form = express.urlencoded({ extended: false, limit: '16kb' });

    app.get('/', (_req, res) => {
      sendHtml(res, 200, homePage(issuer, `${FC_PREFIX}/.well-known/openid-configuration`));
    });

    // FranceConnect requires id_token_hint on logout.
    app.get(`${FC_PREFIX}/session/end`, (req, res, next) => {
      if (typeof req.query.id_token_hint !== 'string' || req.query.id_token_hint === '') {
        sendHtml(
          res,
          400,
          errorPage('Une erreur est survenue', {
            error: 'invalid_request',
            error_description: 'id_token_hint is mandatory',
          }),
        );
        return;
      }
      next();
    });

    const loadInteraction = async (req: Request, res: Response) => {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid) {
        throw new errors.SessionNotFound('interaction does not match the browser session');
      }
      return details;
    };

    const autoConsent = async (req: Request, res: Response, details: InteractionDetails) => {
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
      };
      const accountId = details.session?.accountId;
      if (!accountId) throw new errors.SessionNotFound('no citizen logged in');
      const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      const grant =
        existing ?? new provider.Grant({ accountId, clientId: details.params.client_id });
      if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } });
    };

    app.get(`${FC_PREFIX}/interaction/:uid`, async (req, res, next) => {
      try {
        const details = await loadInteraction(req, res);
        if (details.prompt.name === 'login') {
          sendHtml(res, 200, loginPage(FC_PREFIX, details));
        } else if (details.prompt.name === 'consent') {
          // FranceConnect shows no consent screen for these claims.
          await autoConsent(req, res, details);
        } else {
          throw new errors.InvalidRequest(`unexpected prompt ${details.prompt.name}`);
        }
      } catch (err) {
        next(err);
      }
    });

    app.post(`${FC_PREFIX}/interaction/:uid/login`, form, async (req, res, next) => {
      try {
        const details = await loadInteraction(req, res);
        if (details.prompt.name !== 'login') {
          throw new errors.InvalidRequest('this interaction does not expect a login');
        }
        const body = (req.body ?? {}) as Record<string, unknown>;
        const login = typeof body.login === 'string' ? body.login : '';
        const citizen = findCitizen(login);
        if (!citizen) {
          sendHtml(
            res,
            200,
            loginPage(FC_PREFIX, details, {
              login,
              error: login.trim()
                ? `Identifiant inconnu : « ${login.trim()} ». Choisissez l’un des usagers de test ci-dessous.`
                : 'Saisissez l’identifiant d’un usager de test.',
            }),
          );
          return;
        }
        // Grant what was asked at once (no consent screen), so one hop usually suffices.
        const grant = new provider.Grant({
          accountId: citizen.login,
          clientId: details.params.client_id,
        });
        if (details.params.scope) grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          {
            login: { accountId: citizen.login, acr: FC_ACR, remember: false },
            consent: { grantId },
          },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        next(err);
      }
    });

    const abort = async (req: Request, res: Response, next: NextFunction) => {
      try {
        await loadInteraction(req, res);
        await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: FC_CANCEL_DESCRIPTION },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        next(err);
      }
    };
    app.get(`${FC_PREFIX}/interaction/:uid/abort`, abort);
    app.post(`${FC_PREFIX}/interaction/:uid/abort`, form, abort);

    // FranceConnect's data-provider endpoint (france-connect/sources, data-provider module): the
    // provider authenticates with client_id and client_secret in the body and learns whether the
    // access token is live, for whom (pairwise sub of its entity), for which service and scopes.
    app.post(
      `${FC_PREFIX}/checktoken`,
      express.urlencoded({ extended: false, limit: '16kb' }),
      express.json({ limit: '16kb' }),
      async (req, res, next) => {
        try {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const field = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
          const dp = dataProviders.find((d) => d.client_id === field('client_id'));
          if (
            !dp ||
            !field('client_secret') ||
            !safeEqual(field('client_secret'), dp.client_secret)
          ) {
            res.status(401).json({
              error: 'invalid_client',
              error_description: 'invalid data provider credentials',
            });
            return;
          }
          const accessToken = field('access_token');
          if (!accessToken) {
            res
              .status(400)
              .json({ error: 'invalid_request', error_description: 'access_token is mandatory' });
            return;
          }
          const current = fault;
          if (current === 'checktoken_error') {
            res.status(500).json({ error: 'server_error' });
            return;
          }
          if (current === 'checktoken_slow') {
            await new Promise((resolve) => setTimeout(resolve, CHECKTOKEN_SLOW_MS));
          }
          if (current === 'checktoken_garbage') {
            res
              .status(200)
              .type(TOKEN_INTROSPECTION_JWT_TYPE)
              // eslint-disable-next-line no-restricted-syntax -- the fault's garbage answer, not a page
              .send('<html>not a token</html>');
            return;
          }
          const now = Math.floor(Date.now() / 1000);
          const token = await provider.AccessToken.find(accessToken);
          let introspection: Record<string, unknown> = { active: false };
          if (token && !token.isExpired && token.accountId && token.clientId) {
            introspection = {
              active: true,
              sub: pairwiseSubject(token.accountId, dp.entity ?? dp.client_id),
              client_id: token.clientId,
              scope: token.scope ?? '',
              token_type: 'Bearer',
              iat: token.iat,
              exp: token.exp,
              iss: issuer,
            };
          }
          const payload = {
            token_introspection: introspection,
            aud: current === 'checktoken_wrong_audience' ? 'another-data-provider' : dp.client_id,
            iat: now,
            iss: issuer,
          };
          let jwt: string;
          if (current === 'checktoken_alg_none') {
            jwt = `${base64urlJson({ alg: 'none', typ: 'token-introspection+jwt' })}.${base64urlJson(payload)}.`;
          } else {
            // Same kid even for the foreign key: the verifier must check the signature itself.
            jwt = await new jose.SignJWT(payload)
              .setProtectedHeader({ alg: 'ES256', kid, typ: 'token-introspection+jwt' })
              .sign(current === 'checktoken_wrong_key' ? foreignKey : privateKey);
          }
          if (dp.encryption_jwks_uri) jwt = await encryptFor(dp.encryption_jwks_uri, jwt);
          res
            .status(200)
            .type(TOKEN_INTROSPECTION_JWT_TYPE)
            .set('Cache-Control', 'no-store')
            .send(jwt);
        } catch (err) {
          next(err);
        }
      },
    );

    app.use(FC_PREFIX, provider.callback());

    // Fault injection, for the gateway's negative tests. Loopback only, optional bearer token.
    const adminGuard = (req: Request, res: Response, next: NextFunction) => {
      if (!isLoopback(req.socket.remoteAddress)) {
        res.status(403).json({ error: 'forbidden', error_description: 'loopback only' });
        return;
      }
      if (opts.adminToken) {
        const header = req.headers.authorization ?? '';
        const token = header.startsWith('Bearer ') ? header.slice(7) : '';
        if (!token || !safeEqual(token, opts.adminToken)) {
          res.status(401).json({ error: 'unauthorized' });
          return;
        }
      }
      next();
    };
    app.get('/__sandbox/fault', adminGuard, (_req, res) => {
      res.json({ fault, faults: FRANCECONNECT_FAULTS });
    });
    app.post('/__sandbox/fault', adminGuard, express.json({ limit: '4kb' }), (req, res) => {
      const body = req.body as Record<string, unknown> | undefined;
      const next = body && typeof body === 'object' && 'fault' in body ? body.fault : undefined;
      if (!isFault(next)) {
        res.status(400).json({
          error: 'invalid_fault',
          error_description: `fault must be null or one of ${FRANCECONNECT_FAULTS.join(', ')}`,
        });
        return;
      }
      fault = next;
      res.json({ fault });
    });

    app.use((_req: Request, res: Response) => {
      sendHtml(res, 404, errorPage('Page introuvable', {}));
    });

    app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      if (err instanceof errors.OIDCProviderError) {
        const title =
          err instanceof errors.SessionNotFound
            ? 'Votre session de connexion a expiré ou est introuvable'
            : 'Une erreur est survenue';
        sendHtml(
          res,
          err.status || 400,
          errorPage(title, { error: err.error, error_description: err.error_description }),
        );
        return;
      }
      const status = (err as { status?: number }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        sendHtml(res, status, errorPage('Requête invalide', { error: 'invalid_request' }));
        return;
      }
      if (logErrors) console.error('[franceconnect-sandbox]', err);
      sendHtml(res, 500, errorPage('Une erreur est survenue', { error: 'server_error' }));
    });

    server.on('request', app as unknown as (req: IncomingMessage, res: ServerResponse) => void);

    let closing: Promise<void> | undefined;
    return {
      issuer,
      url,
      port,
      setFault(f: FranceConnectFault) {
        if (!isFault(f)) throw new TypeError(`unknown FranceConnect sandbox fault: ${String(f)}`);
        fault = f;
      },
      setAccessTokenTtl(seconds: number | null) {
        accessTokenTtl = seconds;
      },
      setDataProviderEncryption(clientId: string, jwksUri: string | null) {
        const dp = dataProviders.find((d) => d.client_id === clientId);
        if (!dp) throw new TypeError(`unknown data provider ${clientId}`);
        dp.encryption_jwks_uri = jwksUri ?? undefined;
      },
      close() {
        closing ??= new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        }).finally(() => store.clear());
        return closing;
      },
    };
  } catch (err) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
}
