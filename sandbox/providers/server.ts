/**
 * Demo data providers ("fournisseurs de données"): one small HTTP server per administration,
 * answering like API Particulier v3 for the test citizens of ../citizens.ts.
 *
 * - cnaf            GET /v3/dss/quotient_familial/identite        api key (X-Api-Key)
 * - france_travail  GET /v3/france_travail/statut/identite        OAuth2 client credentials
 *                   POST /oauth/token                              (served by this same server)
 * - mesr            GET /v3/mesri/statut_etudiant/identite         api key (X-Gravitee-Api-Key)
 * - dgfip           GET /v3/dgfip/avis_imposition/identite         static bearer token
 *
 * Paths, query parameters and answer schemas come from ./catalog.ts. Every server also serves
 * `GET /health` and the sandbox control endpoint `POST|GET /__sandbox/mode` (header
 * `X-Sandbox-Token`). Plain `node:http`, precomputed bodies: a normal answer costs a few
 * microseconds of CPU. Nothing is logged.
 *
 * Over ~350 lines on purpose: four providers' handlers and their fault modes share one request
 * loop, one assertion check and one control endpoint; split per provider, each file would repeat
 * them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { TEST_CITIZENS, type TestCitizen } from '../citizens.js';
import {
  DEMO_CATALOG,
  datasetsOf,
  type DemoDatasetEntry,
  type IdentityClaim,
  type ProviderId,
} from './catalog.js';
import { PROVIDER_RECORDS, breakRecord } from './data.js';

export type { ProviderId } from './catalog.js';

export const PROVIDER_IDS: readonly ProviderId[] = ['cnaf', 'france_travail', 'mesr', 'dgfip'];

export type ProviderMode =
  'normal' | 'slow' | 'error' | 'malformed' | 'schema_break' | 'unavailable';

export const PROVIDER_MODES: readonly ProviderMode[] = [
  'normal',
  'slow',
  'error',
  'malformed',
  'schema_break',
  'unavailable',
];

/** How the gateway authenticates to a provider (same shape as the gateway's registry). */
export type ProviderAuth =
  | { kind: 'none' }
  | { kind: 'api_key'; headerName: string; secret: string }
  | { kind: 'bearer'; token: string }
  | {
      kind: 'oauth2_client_credentials';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
    };

export interface DemoProviderSecrets {
  cnafApiKey: string;
  mesrApiKey: string;
  dgfipToken: string;
  franceTravailClientId: string;
  franceTravailClientSecret: string;
}

/** Fixed demo credentials (override them with `secrets`); they protect nothing real. */
export const DEFAULT_DEMO_SECRETS: Readonly<DemoProviderSecrets> = Object.freeze({
  cnafApiKey: 'demo-cnaf-api-key-0c1d7e2f',
  mesrApiKey: 'demo-mesr-api-key-5a9b3c4d',
  dgfipToken: 'demo-dgfip-token-8e7f6a5b',
  franceTravailClientId: 'passerelle-demo',
  franceTravailClientSecret: 'demo-france-travail-secret-2b3c4d5e',
});

export const CNAF_API_KEY_HEADER = 'X-Api-Key';
export const MESR_API_KEY_HEADER = 'X-Gravitee-Api-Key';
export const ASSERTION_HEADER = 'X-Passerelle-Assertion';
export const SANDBOX_TOKEN_HEADER = 'X-Sandbox-Token';
export const DEFAULT_SLOW_DELAY_MS = 5000;

/**
 * Strings that only appear in the `error` mode's 500 body (fake stack frames and internal
 * host names). A gateway test can assert that none of them reaches a client.
 */
export const ERROR_MODE_LEAK_MARKERS: Readonly<Record<ProviderId, readonly string[]>> = {
  cnaf: ['qf-db-prod-02.cnaf.intra', 'fr.cnaf.qf.service.QuotientFamilialService'],
  france_travail: ['sid-oracle-07.ft.intra', 'fr.francetravail.statut.DemandeurRepository'],
  mesr: ['sise-pg-03.mesr.intra', 'fr.mesr.sise.StatutEtudiantController'],
  dgfip: ['ir-db2-prod-11.dgfip.finances.intra', 'fr.dgfip.ir.avis.AvisImpositionDao'],
};

export interface StartDemoProvidersOptions {
  /** Interface to listen on, and host of the returned URLs. Default 'localhost'. */
  host?: string;
  /** Host to put in the returned URLs when it differs from `host` (e.g. '0.0.0.0' in a container). */
  advertisedHost?: string;
  /** 0 or absent: a random free port. */
  ports?: Partial<Record<ProviderId, number>>;
  /** When set, every data call must carry a valid `X-Passerelle-Assertion`. */
  gatewayJwksUrl?: string | null;
  /** Expected `iss` of the assertion (not checked when absent). */
  gatewayIssuer?: string | null;
  secrets?: Partial<DemoProviderSecrets>;
  /** Token for the `/__sandbox/mode` endpoint; random by default. */
  sandboxToken?: string;
  /** Base latency of every data and token answer: one number for all, or per provider. */
  latencyMs?: number | Partial<Record<ProviderId, number>>;
  /** Lifetime of France Travail's access tokens. Default 300. */
  franceTravailTokenTtlSeconds?: number;
}

export interface DemoProviders {
  providers: Record<ProviderId, { url: string; auth: ProviderAuth }>;
  sandboxToken: string;
  setMode(id: ProviderId, mode: ProviderMode, opts?: { delayMs?: number }): void;
  getMode(id: ProviderId): { mode: ProviderMode; delayMs: number };
  /** `issuer`: also change the expected `iss` (undefined keeps the current one). */
  setGatewayJwksUrl(url: string | null, issuer?: string | null): void;
  setLatency(id: ProviderId, latencyMs: number): void;
  /** How many data requests (GET on a dataset path, whatever the outcome) a provider got. */
  calls(id: ProviderId): number;
  /** How many `POST /oauth/token` France Travail got. */
  tokenCalls(): number;
  resetCalls(): void;
  /** France Travail forgets every access token it issued (the next data call answers 401). */
  revokeFranceTravailTokens(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Identity matching
// ---------------------------------------------------------------------------------------------

interface NormalizedIdentity {
  family_name: string;
  given_names: string[];
  birthdate: string;
  gender: 'M' | 'F';
  birthplace: string;
  birthcountry: string;
}

/** Upper case, no accents, any run of non-letters (hyphen, apostrophe, space) as one space. */
export function normalizeName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/Œ/g, 'OE')
    .replace(/Æ/g, 'AE')
    .replace(/[^A-Z]+/g, ' ')
    .trim();
}

function normalizeCitizen(c: TestCitizen): NormalizedIdentity {
  return {
    family_name: normalizeName(c.family_name),
    given_names: normalizeName(c.given_name).split(' '),
    birthdate: c.birthdate,
    gender: c.gender === 'male' ? 'M' : 'F',
    birthplace: c.birthplace,
    birthcountry: c.birthcountry,
  };
}

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMMUNE_RE = /^[0-9][0-9AB][0-9]{3}$/;
const COUNTRY_RE = /^99[0-9]{3}$/;
const SIRET_RE = /^[0-9]{14}$/;

function isValidDate(s: string): boolean {
  const m = ISO_DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

type ParsedQuery =
  | { ok: true; identity: Partial<NormalizedIdentity> }
  | { ok: false; missing: string[]; invalid: string[] };

function parseIdentityQuery(dataset: DemoDatasetEntry, search: string): ParsedQuery {
  const params = new URLSearchParams(search);
  const missing: string[] = [];
  const invalid: string[] = [];
  const identity: Partial<NormalizedIdentity> = {};
  const mapping = dataset.identityParams;

  const single = (name: string): string | undefined => {
    const all = params.getAll(name);
    if (all.length > 1) {
      invalid.push(name);
      return undefined;
    }
    return all.length === 1 ? all[0] : undefined;
  };

  for (const claim of Object.keys(mapping) as IdentityClaim[]) {
    const name = mapping[claim]!;
    switch (claim) {
      case 'family_name': {
        const v = single(name);
        if (v === undefined) break;
        const n = normalizeName(v);
        if (!n) missing.push(name);
        else if (v.length > 200) invalid.push(name);
        else identity.family_name = n;
        break;
      }
      case 'given_name': {
        const values = [...params.getAll(name), ...params.getAll(name + '[]')];
        const joined = values.join(' ');
        const n = normalizeName(joined);
        if (!values.length || !n) missing.push(name);
        else if (joined.length > 300) invalid.push(name);
        else identity.given_names = n.split(' ');
        break;
      }
      case 'birthdate': {
        const v = single(name);
        if (v === undefined) break;
        if (!v) missing.push(name);
        else if (!isValidDate(v)) invalid.push(name);
        else identity.birthdate = v;
        break;
      }
      case 'gender': {
        const v = single(name);
        if (v === undefined) break;
        const g = v.trim().toLowerCase();
        if (!g) missing.push(name);
        else if (g === 'male' || g === 'm') identity.gender = 'M';
        else if (g === 'female' || g === 'f') identity.gender = 'F';
        else invalid.push(name);
        break;
      }
      case 'birthplace': {
        const v = single(name);
        if (v === undefined) break;
        const p = v.trim().toUpperCase();
        if (p && !COMMUNE_RE.test(p)) invalid.push(name);
        else identity.birthplace = p;
        break;
      }
      case 'birthcountry': {
        const v = single(name);
        if (v === undefined) break;
        if (!v) missing.push(name);
        else if (!COUNTRY_RE.test(v)) invalid.push(name);
        else identity.birthcountry = v;
        break;
      }
    }
    const present = claim === 'given_name' ? true : params.has(name);
    if (!present) {
      // Born abroad: FranceConnect gives an empty birthplace, which a client may also omit.
      const optionalBirthplace =
        claim === 'birthplace' && mapping.birthcountry !== undefined
          ? params.get(mapping.birthcountry) !== '99100'
          : false;
      if (optionalBirthplace) identity.birthplace = '';
      else missing.push(name);
    }
  }

  // Someone born in France has a birth commune.
  if (
    mapping.birthplace &&
    identity.birthcountry === '99100' &&
    identity.birthplace === '' &&
    !missing.includes(mapping.birthplace)
  ) {
    missing.push(mapping.birthplace);
  }

  if (missing.length || invalid.length) return { ok: false, missing, invalid };
  return { ok: true, identity };
}

function matches(
  wanted: Partial<NormalizedIdentity>,
  known: NormalizedIdentity,
  claims: IdentityClaim[],
): boolean {
  for (const claim of claims) {
    switch (claim) {
      case 'family_name':
        if (wanted.family_name !== known.family_name) return false;
        break;
      case 'given_name': {
        // The given names sent must be the first ones the provider knows, in order.
        const g = wanted.given_names ?? [];
        if (!g.length || g.length > known.given_names.length) return false;
        for (let i = 0; i < g.length; i++) if (g[i] !== known.given_names[i]) return false;
        break;
      }
      case 'birthdate':
        if (wanted.birthdate !== known.birthdate) return false;
        break;
      case 'gender':
        if (wanted.gender !== known.gender) return false;
        break;
      case 'birthplace':
        if ((wanted.birthplace ?? '') !== known.birthplace) return false;
        break;
      case 'birthcountry':
        if (wanted.birthcountry !== known.birthcountry) return false;
        break;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Per-provider state
// ---------------------------------------------------------------------------------------------

interface KnownRecord {
  login: string;
  identity: NormalizedIdentity;
  record: Record<string, unknown>;
  body: Buffer;
}

interface DatasetRoute {
  dataset: DemoDatasetEntry;
  claims: IdentityClaim[];
  records: KnownRecord[];
  malformedBody: Buffer;
}

interface ProviderState {
  id: ProviderId;
  label: string;
  codePrefix: string;
  server: http.Server;
  routes: Map<string, DatasetRoute>;
  mode: ProviderMode;
  delayMs: number;
  latencyMs: number;
  calls: number;
  timers: Set<NodeJS.Timeout>;
  checkAuth(req: http.IncomingMessage): boolean;
  wwwAuthenticate: string;
}

interface Shared {
  jwksUrl: string | null;
  jwks: ReturnType<typeof createRemoteJWKSet> | null;
  issuer: string | null;
  sandboxTokenDigest: Buffer;
  closed: boolean;
  ftTokens: Map<string, number>;
  ftTokenCalls: number;
  ftTokenTtlSeconds: number;
  secrets: DemoProviderSecrets;
}

const PROVIDER_LABELS: Record<ProviderId, string> = {
  cnaf: 'CNAF',
  france_travail: 'France Travail',
  mesr: 'MESR',
  dgfip: 'DGFiP',
};

const CODE_PREFIX: Record<ProviderId, string> = {
  cnaf: '11',
  france_travail: '12',
  mesr: '13',
  dgfip: '14',
};

const NOT_FOUND_DETAIL: Record<ProviderId, string> = {
  cnaf: 'Aucun dossier allocataire ne correspond à cette identité.',
  france_travail: 'Aucune inscription à France Travail ne correspond à cette identité.',
  mesr: 'Aucun étudiant ne correspond à cette identité.',
  dgfip: 'Aucun avis d’impôt sur le revenu ne correspond à cette identité.',
};

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function safeEqual(given: string | undefined, expectedDigest: Buffer): boolean {
  if (typeof given !== 'string' || !given) return false;
  return timingSafeEqual(digest(given), expectedDigest);
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function bearerOf(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(h);
  return m ? m[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const JSON_TYPE = 'application/json; charset=utf-8';

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: Buffer | string | object,
  headers: Record<string, string> = {},
): void {
  const buf = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, {
    'Content-Type': JSON_TYPE,
    'Content-Length': String(buf.length),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(buf);
}

function errorBody(state: ProviderState, code: string, title: string, detail: string) {
  return {
    errors: [
      {
        code: state.codePrefix + code,
        title,
        detail,
        source: null,
        meta: { provider: state.label },
      },
    ],
  };
}

function sendError(
  state: ProviderState,
  res: http.ServerResponse,
  status: number,
  code: string,
  title: string,
  detail: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, errorBody(state, code, title, detail), headers);
}

function errorModeBody(state: ProviderState): string {
  const [host, klass] = ERROR_MODE_LEAK_MARKERS[state.id];
  const method = klass.split('.').pop() ?? 'Service';
  const stack = [
    `java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (jdbc://${host}:5432/prod)`,
    `\tat ${klass}.findByIdentite(${method}.java:214)`,
    `\tat ${klass}$$FastClassBySpringCGLIB.invoke(<generated>)`,
    '\tat org.springframework.aop.framework.CglibAopProxy$DynamicAdvisedInterceptor.intercept(CglibAopProxy.java:688)',
    '\tat org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:199)',
  ].join('\n');
  return JSON.stringify({
    timestamp: '2025-10-14T09:12:44.512+02:00',
    status: 500,
    error: 'Internal Server Error',
    message: `Could not open JDBC connection to ${host}`,
    trace: stack,
    node: `api-${state.id}-prod-04.intra:8443`,
  });
}

const UNAVAILABLE_BODY = Buffer.from(
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>Service Temporarily Unavailable</h1><p>Maintenance en cours.</p></body></html>',
);

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

function sleep(state: ProviderState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      state.timers.delete(t);
      resolve();
    }, ms);
    state.timers.add(t);
  });
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve(null);
      }
    });
  });
}

function sanitizeRequestId(v: string | undefined): string | undefined {
  return v && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : undefined;
}

type AssertionCheck = { ok: true } | { ok: false; detail: string };

async function checkAssertion(
  shared: Shared,
  state: ProviderState,
  dataset: DemoDatasetEntry,
  req: http.IncomingMessage,
): Promise<AssertionCheck> {
  const jwks = shared.jwks;
  if (!jwks) return { ok: true };
  const token = headerValue(req, ASSERTION_HEADER);
  if (!token) return { ok: false, detail: 'L’assertion de la passerelle est absente.' };
  try {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ['ES256'],
      audience: state.id,
      ...(shared.issuer ? { issuer: shared.issuer } : {}),
      maxTokenAge: '5m',
      clockTolerance: 5,
      requiredClaims: ['iat', 'consent_id', 'dataset', 'purpose', 'client_id', 'recipient'],
    });
    const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 2000;
    if (payload.dataset !== dataset.id) {
      return { ok: false, detail: 'L’assertion ne porte pas sur ce jeu de données.' };
    }
    if (typeof payload.recipient !== 'string' || !SIRET_RE.test(payload.recipient)) {
      return { ok: false, detail: 'Le destinataire (recipient) doit être un numéro SIRET.' };
    }
    if (
      !nonEmpty(payload.consent_id) ||
      !nonEmpty(payload.purpose) ||
      !nonEmpty(payload.client_id)
    ) {
      return { ok: false, detail: 'L’assertion est incomplète.' };
    }
    return { ok: true };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      return { ok: false, detail: 'L’assertion a expiré.' };
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      return { ok: false, detail: `L’assertion est refusée (revendication « ${e.claim} »).` };
    }
    if (
      e instanceof joseErrors.JWSSignatureVerificationFailed ||
      e instanceof joseErrors.JWKSNoMatchingKey ||
      e instanceof joseErrors.JWKSMultipleMatchingKeys
    ) {
      return { ok: false, detail: 'La signature de l’assertion est invalide.' };
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) {
      return { ok: false, detail: 'L’algorithme de l’assertion n’est pas accepté.' };
    }
    if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid) {
      return { ok: false, detail: 'Les clés de la passerelle sont indisponibles.' };
    }
    return { ok: false, detail: 'L’assertion est invalide.' };
  }
}

async function handleToken(
  shared: Shared,
  state: ProviderState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  shared.ftTokenCalls++;
  if (state.latencyMs > 0) await sleep(state, state.latencyMs);
  const oauthError = (status: number, error: string, description: string, basic = false) =>
    sendJson(
      res,
      status,
      { error, error_description: description },
      {
        Pragma: 'no-cache',
        ...(status === 401
          ? { 'WWW-Authenticate': basic ? 'Basic realm="france_travail"' : 'Bearer' }
          : {}),
      },
    );
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return oauthError(405, 'invalid_request', 'Méthode non autorisée.');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const raw = await readBody(req, 8 * 1024);
  if (raw === null) return oauthError(413, 'invalid_request', 'Requête trop volumineuse.');
  if (type !== 'application/x-www-form-urlencoded') {
    return oauthError(
      400,
      'invalid_request',
      'Le corps doit être application/x-www-form-urlencoded.',
    );
  }
  const form = new URLSearchParams(raw);
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  let basic = false;
  const authz = req.headers.authorization;
  if (authz && /^Basic /i.test(authz)) {
    basic = true;
    const decoded = Buffer.from(authz.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0)
      return oauthError(401, 'invalid_client', 'Authentification du client invalide.', true);
    try {
      clientId = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      clientSecret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' '));
    } catch {
      return oauthError(401, 'invalid_client', 'Authentification du client invalide.', true);
    }
    if (form.has('client_secret')) {
      return oauthError(400, 'invalid_request', 'Une seule méthode d’authentification du client.');
    }
  } else {
    clientId = form.get('client_id') ?? undefined;
    clientSecret = form.get('client_secret') ?? undefined;
  }
  const grant = form.get('grant_type');
  if (!grant) return oauthError(400, 'invalid_request', 'grant_type est requis.');
  if (
    !safeEqual(clientId, digest(shared.secrets.franceTravailClientId)) ||
    !safeEqual(clientSecret, digest(shared.secrets.franceTravailClientSecret))
  ) {
    return oauthError(401, 'invalid_client', 'Authentification du client invalide.', basic);
  }
  if (grant !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'Seul client_credentials est accepté.');
  }
  const now = Date.now();
  if (shared.ftTokens.size > 1000) {
    for (const [t, exp] of shared.ftTokens) if (exp <= now) shared.ftTokens.delete(t);
  }
  const accessToken = randomBytes(32).toString('base64url');
  shared.ftTokens.set(accessToken, now + shared.ftTokenTtlSeconds * 1000);
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: shared.ftTokenTtlSeconds,
      scope: 'api_statut-demandeur',
    },
    { Pragma: 'no-cache' },
  );
}

async function handleSandbox(
  shared: Shared,
  state: ProviderState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (!safeEqual(headerValue(req, SANDBOX_TOKEN_HEADER), shared.sandboxTokenDigest)) {
    return sendError(state, res, 401, '901', 'Non autorisé', 'Jeton de bac à sable invalide.');
  }
  const current = () => ({
    provider: state.id,
    mode: state.mode,
    delayMs: state.delayMs,
    latencyMs: state.latencyMs,
    calls: state.calls,
  });
  if (req.method === 'GET') return sendJson(res, 200, current());
  if (req.method !== 'POST') {
    return sendError(state, res, 405, '905', 'Méthode non autorisée', 'GET ou POST.', {
      Allow: 'GET, POST',
    });
  }
  const raw = await readBody(req, 4 * 1024);
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    body = null;
  }
  const fields = (body && typeof body === 'object' ? body : {}) as {
    mode?: unknown;
    delayMs?: unknown;
  };
  const mode = fields.mode;
  const delayMs = fields.delayMs;
  if (
    typeof mode !== 'string' ||
    !(PROVIDER_MODES as readonly string[]).includes(mode) ||
    (delayMs !== undefined && !isValidDelay(delayMs))
  ) {
    return sendError(
      state,
      res,
      400,
      '902',
      'Requête invalide',
      `Corps attendu : {"mode": ${PROVIDER_MODES.map((m) => `"${m}"`).join('|')}, "delayMs"?: entier ≥ 0}.`,
    );
  }
  applyMode(state, mode as ProviderMode, delayMs as number | undefined);
  sendJson(res, 200, current());
}

function isValidDelay(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 600_000;
}

function applyMode(state: ProviderState, mode: ProviderMode, delayMs?: number): void {
  state.mode = mode;
  state.delayMs = delayMs ?? DEFAULT_SLOW_DELAY_MS;
}

async function handleData(
  shared: Shared,
  state: ProviderState,
  route: DatasetRoute,
  search: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  state.calls++;
  const wait = state.latencyMs + (state.mode === 'slow' ? state.delayMs : 0);
  if (wait > 0) await sleep(state, wait);
  if (shared.closed) return;

  if (state.mode === 'unavailable') {
    res.writeHead(503, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(UNAVAILABLE_BODY.length),
      'Retry-After': '120',
    });
    res.end(UNAVAILABLE_BODY);
    return;
  }

  if (!state.checkAuth(req)) {
    return sendError(
      state,
      res,
      401,
      '401',
      'Non authentifié',
      'Les identifiants d’accès à l’API sont absents ou invalides.',
      { 'WWW-Authenticate': state.wwwAuthenticate },
    );
  }

  const assertion = await checkAssertion(shared, state, route.dataset, req);
  if (!assertion.ok) {
    return sendError(
      state,
      res,
      401,
      '402',
      'Assertion de la passerelle refusée',
      assertion.detail,
    );
  }

  if (state.mode === 'error') return sendJson(res, 500, errorModeBody(state));
  if (state.mode === 'malformed') return sendJson(res, 200, route.malformedBody);

  const parsed = parseIdentityQuery(route.dataset, search);
  if (!parsed.ok) {
    const parts: string[] = [];
    if (parsed.missing.length) parts.push(`paramètres manquants : ${parsed.missing.join(', ')}`);
    if (parsed.invalid.length) parts.push(`paramètres invalides : ${parsed.invalid.join(', ')}`);
    return sendError(
      state,
      res,
      400,
      parsed.missing.length ? '001' : '002',
      'Paramètres d’identité incorrects',
      parts.join(' ; ') + '.',
    );
  }

  let found: KnownRecord | undefined;
  for (const r of route.records) {
    if (matches(parsed.identity, r.identity, route.claims)) {
      found = r;
      break;
    }
  }

  if (state.mode === 'schema_break') {
    const base = found ?? route.records[0];
    return sendJson(res, 200, breakRecord(state.id, base.record));
  }

  if (!found) {
    return sendError(state, res, 404, '003', 'Personne non trouvée', NOT_FOUND_DETAIL[state.id]);
  }
  sendJson(res, 200, found.body);
}

function createProviderState(
  id: ProviderId,
  shared: Shared,
  latencyMs: number,
  citizens: Map<string, NormalizedIdentity>,
): ProviderState {
  const routes = new Map<string, DatasetRoute>();
  for (const dataset of datasetsOf(id)) {
    const records: KnownRecord[] = [];
    for (const [login, record] of Object.entries(PROVIDER_RECORDS[id])) {
      const identity = citizens.get(login);
      if (!identity) throw new Error(`demo data for unknown citizen ${login}`);
      records.push({ login, identity, record, body: Buffer.from(JSON.stringify(record)) });
    }
    const first = records[0].body;
    routes.set(dataset.path, {
      dataset,
      claims: Object.keys(dataset.identityParams) as IdentityClaim[],
      records,
      malformedBody: first.subarray(0, Math.floor(first.length / 2)),
    });
  }

  let checkAuth: (req: http.IncomingMessage) => boolean;
  let wwwAuthenticate: string;
  switch (id) {
    case 'cnaf': {
      const d = digest(shared.secrets.cnafApiKey);
      checkAuth = (req) => safeEqual(headerValue(req, CNAF_API_KEY_HEADER), d);
      wwwAuthenticate = `ApiKey header="${CNAF_API_KEY_HEADER}"`;
      break;
    }
    case 'mesr': {
      const d = digest(shared.secrets.mesrApiKey);
      checkAuth = (req) => safeEqual(headerValue(req, MESR_API_KEY_HEADER), d);
      wwwAuthenticate = `ApiKey header="${MESR_API_KEY_HEADER}"`;
      break;
    }
    case 'dgfip': {
      const d = digest(shared.secrets.dgfipToken);
      checkAuth = (req) => safeEqual(bearerOf(req), d);
      wwwAuthenticate = 'Bearer realm="dgfip"';
      break;
    }
    case 'france_travail':
      checkAuth = (req) => {
        const t = bearerOf(req);
        if (!t) return false;
        const exp = shared.ftTokens.get(t);
        if (exp === undefined) return false;
        if (exp <= Date.now()) {
          shared.ftTokens.delete(t);
          return false;
        }
        return true;
      };
      wwwAuthenticate = 'Bearer realm="france_travail", error="invalid_token"';
      break;
  }

  const state: ProviderState = {
    id,
    label: PROVIDER_LABELS[id],
    codePrefix: CODE_PREFIX[id],
    server: undefined as unknown as http.Server,
    routes,
    mode: 'normal',
    delayMs: DEFAULT_SLOW_DELAY_MS,
    latencyMs,
    calls: 0,
    timers: new Set(),
    checkAuth,
    wwwAuthenticate,
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q + 1);
    const requestId = sanitizeRequestId(headerValue(req, 'x-request-id'));
    if (requestId) res.setHeader('X-Request-Id', requestId);

    let work: Promise<void> | void;
    const route = routes.get(pathname);
    if (route) {
      if (req.method !== 'GET') {
        work = sendError(state, res, 405, '405', 'Méthode non autorisée', 'Seul GET est accepté.', {
          Allow: 'GET',
        });
      } else {
        work = handleData(shared, state, route, search, req, res);
      }
    } else if (pathname === '/oauth/token' && id === 'france_travail') {
      work = handleToken(shared, state, req, res);
    } else if (pathname === '/__sandbox/mode') {
      work = handleSandbox(shared, state, req, res);
    } else if (pathname === '/health') {
      work = sendJson(res, 200, { status: 'ok', provider: id });
    } else {
      work = sendError(state, res, 404, '404', 'Route inconnue', 'Cette route n’existe pas.');
    }
    if (work) {
      work.catch(() => {
        if (!res.headersSent && !res.destroyed) {
          sendError(state, res, 500, '500', 'Erreur interne', 'Erreur interne.');
        } else {
          res.destroy();
        }
      });
    }
  };

  const server = http.createServer({ keepAlive: true }, onRequest);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  state.server = server;
  return state;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startDemoProviders(
  opts: StartDemoProvidersOptions = {},
): Promise<DemoProviders> {
  const host = opts.host ?? 'localhost';
  const urlHost = hostForUrl(opts.advertisedHost ?? host);
  const secrets: DemoProviderSecrets = { ...DEFAULT_DEMO_SECRETS, ...(opts.secrets ?? {}) };
  for (const [k, v] of Object.entries(secrets)) {
    if (typeof v !== 'string' || !v) throw new Error(`demo provider secret ${k} must be set`);
  }
  const sandboxToken = opts.sandboxToken || randomBytes(24).toString('base64url');
  const ttl = opts.franceTravailTokenTtlSeconds ?? 300;

  const shared: Shared = {
    jwksUrl: null,
    jwks: null,
    issuer: opts.gatewayIssuer ?? null,
    sandboxTokenDigest: digest(sandboxToken),
    closed: false,
    ftTokens: new Map(),
    ftTokenCalls: 0,
    ftTokenTtlSeconds: ttl,
    secrets,
  };
  const setJwks = (url: string | null) => {
    shared.jwksUrl = url;
    shared.jwks = url ? createRemoteJWKSet(new URL(url)) : null;
  };
  setJwks(opts.gatewayJwksUrl ?? null);

  const citizens = new Map(TEST_CITIZENS.map((c) => [c.login, normalizeCitizen(c)]));
  const latencyFor = (id: ProviderId): number => {
    const l = opts.latencyMs;
    const v = typeof l === 'number' ? l : (l?.[id] ?? 0);
    if (!Number.isFinite(v) || v < 0) throw new Error(`invalid latency for ${id}`);
    return v;
  };

  const states = {} as Record<ProviderId, ProviderState>;
  for (const id of PROVIDER_IDS)
    states[id] = createProviderState(id, shared, latencyFor(id), citizens);

  const close = async (): Promise<void> => {
    if (shared.closed) return;
    shared.closed = true;
    await Promise.all(
      PROVIDER_IDS.map(
        (id) =>
          new Promise<void>((resolve) => {
            const s = states[id];
            for (const t of s.timers) clearTimeout(t);
            s.timers.clear();
            if (!s.server.listening) return resolve();
            s.server.close(() => resolve());
            s.server.closeAllConnections();
          }),
      ),
    );
  };

  const urls = {} as Record<ProviderId, string>;
  try {
    for (const id of PROVIDER_IDS) {
      const port = await listen(states[id].server, opts.ports?.[id] ?? 0, host);
      urls[id] = `http://${urlHost}:${port}`;
    }
  } catch (e) {
    await close();
    throw e;
  }

  const providers: DemoProviders['providers'] = {
    cnaf: {
      url: urls.cnaf,
      auth: { kind: 'api_key', headerName: CNAF_API_KEY_HEADER, secret: secrets.cnafApiKey },
    },
    france_travail: {
      url: urls.france_travail,
      auth: {
        kind: 'oauth2_client_credentials',
        tokenUrl: `${urls.france_travail}/oauth/token`,
        clientId: secrets.franceTravailClientId,
        clientSecret: secrets.franceTravailClientSecret,
      },
    },
    mesr: {
      url: urls.mesr,
      auth: { kind: 'api_key', headerName: MESR_API_KEY_HEADER, secret: secrets.mesrApiKey },
    },
    dgfip: { url: urls.dgfip, auth: { kind: 'bearer', token: secrets.dgfipToken } },
  };

  const stateOf = (id: ProviderId): ProviderState => {
    const s = states[id];
    if (!s) throw new Error(`unknown provider ${String(id)}`);
    return s;
  };

  return {
    providers,
    sandboxToken,
    setMode(id, mode, modeOpts) {
      if (!(PROVIDER_MODES as readonly string[]).includes(mode)) {
        throw new Error(`unknown provider mode ${String(mode)}`);
      }
      if (modeOpts?.delayMs !== undefined && !isValidDelay(modeOpts.delayMs)) {
        throw new Error('delayMs must be an integer between 0 and 600000');
      }
      applyMode(stateOf(id), mode, modeOpts?.delayMs);
    },
    getMode(id) {
      const s = stateOf(id);
      return { mode: s.mode, delayMs: s.delayMs };
    },
    setGatewayJwksUrl(url, issuer) {
      setJwks(url);
      if (issuer !== undefined) shared.issuer = issuer;
    },
    setLatency(id, latencyMs) {
      if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error('invalid latency');
      stateOf(id).latencyMs = latencyMs;
    },
    calls: (id) => stateOf(id).calls,
    tokenCalls: () => shared.ftTokenCalls,
    resetCalls() {
      for (const id of PROVIDER_IDS) states[id].calls = 0;
      shared.ftTokenCalls = 0;
    },
    revokeFranceTravailTokens() {
      shared.ftTokens.clear();
    },
    close,
  };
}

/** The catalogue with each dataset's provider base URL, for seeding a gateway registry. */
export function catalogWithUrls(p: DemoProviders) {
  return {
    providers: DEMO_CATALOG.providers.map((x) => ({ ...x, ...p.providers[x.id] })),
    datasets: DEMO_CATALOG.datasets,
  };
}
