/**
 * Consent helpers for end-to-end tests: a registry seeded through the operator API, consent
 * requests posted over HTTP with a real client token, citizens, and two ways to decide:
 * `approveAsCitizen` drives the real HTML flow (FranceConnect sandbox login, consent page,
 * CSRF-protected decision form); `decideAs` calls ConsentService.decide directly, for tests
 * about the consent rules themselves that need no browser.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Response } from 'supertest';
import { ConsentService } from '../../src/consent/consent.service.js';
import type { ConsentDecision } from '../../src/consent/consent.contract.js';
import type { IdentityPivot } from '../../src/identity/identity.types.js';
import {
  CookieJar,
  loginThroughSandbox,
  navigate,
  type NavigationResult,
} from '../../sandbox/franceconnect/browser.js';
import { clientToken, type SecretClient } from './clients.js';
import type { TestGateway } from './gateway.js';
import {
  seedClient,
  seedDataset,
  seedHabilitation,
  seedDemoRegistry,
  seedProvider,
  type HabilitationInput,
} from './operator.js';
import type { DemoProviders } from '../../sandbox/providers/server.js';

export const CONSENT_REQUESTS = '/api/v1/consent-requests';
export const CONSENTS = '/api/v1/consents';

/** An identity pivot as FranceConnect gives it (not one of the sandbox's citizens). */
export const TEST_IDENTITY: IdentityPivot = {
  given_name: 'Camille Marie',
  family_name: 'MARTIN',
  birthdate: '1990-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
  email: 'camille.martin@example.fr',
};

export interface ConsentClient {
  client: SecretClient;
  token: string;
  habilitationId: string;
  redirectUri: string;
}

/**
 * Seeds, through the operator API, two demo providers and three of their datasets (nothing
 * listens at the providers' addresses: consent never calls them).
 */
export async function seedConsentCatalog(gw: TestGateway): Promise<string[]> {
  await seedProvider(gw);
  await seedProvider(gw, {
    id: 'dgfip',
    name: 'DGFiP',
    auth: { kind: 'bearer', token: 'test-dgfip' },
  });
  await seedProvider(gw, { id: 'france_travail', name: 'France Travail', auth: { kind: 'none' } });
  const ids = ['cnaf.quotient_familial', 'dgfip.avis_imposition', 'france_travail.statut'];
  for (const id of ids) await seedDataset(gw, { id });
  return ids;
}

/**
 * A client (client_secret_basic, redirect URI on the gateway) with one habilitation and an
 * access token. The catalogue must be seeded first (seedConsentCatalog).
 */
export async function consentClient(
  gw: TestGateway,
  habilitation: Partial<HabilitationInput> = {},
  redirectUris: string[] = [`${gw.url}/test-callback?from=passerelle`],
): Promise<ConsentClient> {
  const seeded = await seedClient(gw, {
    clientId: `svc-${randomBytes(5).toString('hex')}`,
    redirectUris,
  });
  const hab = await seedHabilitation(gw, {
    clientId: seeded.clientId,
    datasets: ['cnaf.quotient_familial'],
    ...habilitation,
  });
  const client: SecretClient = {
    id: seeded.id,
    clientId: seeded.clientId,
    clientSecret: seeded.clientSecret!,
    authMethod: 'client_secret_basic',
  };
  return {
    client,
    token: await clientToken(gw, client),
    habilitationId: hab.id as string,
    redirectUri: redirectUris[0],
  };
}

export interface ConsentRequestBody {
  datasets?: string[];
  purpose?: string;
  durationDays?: number;
  redirectUri?: string;
  state?: string;
  fetchMode?: 'once' | 'periodic';
  notificationUrl?: string;
  [key: string]: unknown;
}

export function requestBody(c: ConsentClient, body: ConsentRequestBody = {}): ConsentRequestBody {
  return {
    datasets: ['cnaf.quotient_familial'],
    purpose: 'Calcul du tarif de la cantine scolaire',
    durationDays: 30,
    redirectUri: c.redirectUri,
    state: `st-${randomBytes(8).toString('hex')}`,
    ...body,
  };
}

/** `POST /api/v1/consent-requests` with a bearer token (raw answer, any status). */
export function createConsentRequest(
  gw: TestGateway,
  token: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<Response> {
  let req = request(gw.url).post(CONSENT_REQUESTS).set('Authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(body);
}

/** Posts a request that must be accepted; returns its 201 body. */
export async function pendingRequest(
  gw: TestGateway,
  c: ConsentClient,
  body: ConsentRequestBody = {},
): Promise<{ id: string; status: string; consentUrl: string; expiresAt: string }> {
  const res = await createConsentRequest(gw, c.token, requestBody(c, body));
  if (res.status !== 201)
    throw new Error(`consent request refused: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A client's GET on its API (bearer token). */
export function clientGet(gw: TestGateway, token: string, path: string): Promise<Response> {
  return request(gw.url)
    .get(path)
    .set('Authorization', `Bearer ${token}`)
    .then((r) => r);
}

/** A citizen row as FranceConnect login would create it (pairwise sub only). */
export async function createCitizen(gw: TestGateway): Promise<{ id: string; sub: string }> {
  const sub = `sub-${randomBytes(16).toString('hex')}`;
  const row = await gw.prisma.citizen.create({ data: { sub } });
  return { id: row.id, sub };
}

/** ConsentService.decide, as the citizen pages call it after their session and CSRF checks. */
export function decideAs(
  gw: TestGateway,
  requestId: string,
  citizenId: string,
  decision: ConsentDecision,
  identity: IdentityPivot = TEST_IDENTITY,
): Promise<{ redirectUrl: string; consentId?: string }> {
  return gw.app.get(ConsentService).decide(requestId, citizenId, identity, decision);
}

/** A request approved by a fresh citizen through the service; returns ids. */
export async function approvedConsent(
  gw: TestGateway,
  c: ConsentClient,
  body: ConsentRequestBody = {},
): Promise<{ requestId: string; consentId: string; citizenId: string; redirectUrl: string }> {
  const req = await pendingRequest(gw, c, body);
  const citizen = await createCitizen(gw);
  const { consentId, redirectUrl } = await decideAs(gw, req.id, citizen.id, 'approve');
  return { requestId: req.id, consentId: consentId!, citizenId: citizen.id, redirectUrl };
}

/**
 * The real browser journey: open `consentUrl`, log in at the FranceConnect sandbox as `login`
 * (a sandbox citizen), land on the consent page, submit the decision form with its CSRF token,
 * and stop at the client's redirect URI (`stopAt`, nothing needs to listen there). Needs a
 * gateway started with startGatewayWithFranceConnect and the citizen pages.
 */
export async function decideInBrowser(
  consentUrl: string,
  login: string,
  decision: ConsentDecision,
  stopAt: string,
  jar: CookieJar = new CookieJar(),
): Promise<{ page: NavigationResult; decision: NavigationResult; jar: CookieJar }> {
  const page = await loginThroughSandbox(consentUrl, login, jar);
  if (page.status !== 200)
    throw new Error(`consent page answered ${page.status}: ${page.body.slice(0, 500)}`);
  const csrf = /name="csrf" value="([^"]*)"/.exec(page.body)?.[1];
  const action = /<form method="post" action="([^"]+\/decision)"/.exec(page.body)?.[1];
  if (!csrf || !action) throw new Error('no decision form on the consent page');
  const done = await navigate(
    jar,
    new URL(action, page.url).href,
    { body: new URLSearchParams({ csrf: decodeHtml(csrf), decision }) },
    { stopAt },
  );
  return { page, decision: done, jar };
}

/** approveAsCitizen(consentUrl, 'angela', redirectUri): the browser journey, approving. */
export function approveAsCitizen(
  consentUrl: string,
  login: string,
  stopAt: string,
  jar?: CookieJar,
) {
  return decideInBrowser(consentUrl, login, 'approve', stopAt, jar);
}

function decodeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * The demo registry (habilitation options as given) and its client with a fresh token, as a
 * ConsentClient whose redirect URI is on `gw`.
 */
export async function demoConsentClient(
  gw: TestGateway,
  providers: DemoProviders,
  habilitation: Partial<HabilitationInput> = {},
): Promise<ConsentClient> {
  const registry = await seedDemoRegistry(gw, providers, { habilitation });
  const client = {
    id: registry.client.id,
    clientId: registry.client.clientId,
    clientSecret: registry.client.clientSecret!,
    authMethod: 'client_secret_basic' as const,
  };
  return {
    client,
    token: await clientToken(gw, client),
    habilitationId: registry.habilitation.id,
    redirectUri: `${gw.url}/test-callback`,
  };
}
