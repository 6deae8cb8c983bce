/**
 * Prepares the gateway for the benchmark the way production does it: the operator API for the
 * registry, the OAuth token endpoint for the client, and real citizen approvals (FranceConnect
 * sandbox login + the consent page's form) for the consents.
 */
import { randomBytes } from 'node:crypto';
import { CookieJar, loginThroughSandbox, navigate } from '../sandbox/franceconnect/browser.js';
import { DEMO_CATALOG } from '../sandbox/providers/catalog.js';
import {
  catalogWithUrls,
  CNAF_API_KEY_HEADER,
  DEFAULT_DEMO_SECRETS,
  MESR_API_KEY_HEADER,
  type DemoProviders,
  type ProviderId,
} from '../sandbox/providers/server.js';

export interface Operator {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  must<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

export function operator(gatewayUrl: string, token: string): Operator {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  return {
    call,
    async must<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await call(method, path, body);
      if (res.status >= 300) {
        throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res.body as T;
    },
  };
}

/** What `catalogWithUrls` needs of the demo providers, for providers running in another process. */
export function remoteDemoProviders(
  urls: Record<ProviderId, string>,
): Pick<DemoProviders, 'providers'> {
  const s = DEFAULT_DEMO_SECRETS;
  return {
    providers: {
      cnaf: {
        url: urls.cnaf,
        auth: { kind: 'api_key', headerName: CNAF_API_KEY_HEADER, secret: s.cnafApiKey },
      },
      france_travail: {
        url: urls.france_travail,
        auth: {
          kind: 'oauth2_client_credentials',
          tokenUrl: `${urls.france_travail}/oauth/token`,
          clientId: s.franceTravailClientId,
          clientSecret: s.franceTravailClientSecret,
        },
      },
      mesr: {
        url: urls.mesr,
        auth: { kind: 'api_key', headerName: MESR_API_KEY_HEADER, secret: s.mesrApiKey },
      },
      dgfip: { url: urls.dgfip, auth: { kind: 'bearer', token: s.dgfipToken } },
    },
  };
}

export interface SeededClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

/**
 * Providers (with a concurrency cap above the highest benchmark concurrency: the default cap of
 * 32 would queue the 200 ms scenario), every dataset, one client and one habilitation allowing
 * periodic consents with no minimum interval between fetches.
 */
export async function seedRegistry(
  op: Operator,
  gatewayUrl: string,
  providerUrls: Record<ProviderId, string>,
  maxConcurrency: number,
): Promise<SeededClient> {
  const catalog = catalogWithUrls(remoteDemoProviders(providerUrls) as DemoProviders);
  for (const p of catalog.providers) {
    await op.must('POST', '/providers', {
      id: p.id,
      name: p.name,
      baseUrl: p.url,
      auth: p.auth,
      timeoutMs: 5000,
      maxConcurrency,
    });
  }
  for (const d of catalog.datasets) await op.must('POST', '/datasets', d);
  const redirectUri = `${gatewayUrl}/bench-callback`;
  const client = await op.must<{ clientId: string; clientSecret: string }>('POST', '/clients', {
    name: 'Banc d’essai — service demandeur',
    siret: '21750001600019',
    contactEmail: 'bench@example.gouv.fr',
    redirectUris: [redirectUri],
    authMethod: 'client_secret_basic',
  });
  await op.must('POST', '/habilitations', {
    clientId: client.clientId,
    datasets: DEMO_CATALOG.datasets.map((d) => d.id),
    purpose: 'Mesure de performance de la passerelle',
    legalBasis: 'Banc d’essai (données de démonstration)',
    maxDurationDays: 365,
    allowPeriodic: true,
    minFetchIntervalSeconds: 0,
  });
  return { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri };
}

export function basicAuthorization(clientId: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

export async function accessToken(gatewayUrl: string, client: SeededClient): Promise<string> {
  const res = await fetch(`${gatewayUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) {
    throw new Error(`token refused: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** The consent-request body the benchmark posts (also the body of the creation scenario). */
export function consentRequestBody(client: SeededClient, datasets: string[]): string {
  return JSON.stringify({
    datasets,
    purpose: 'Mesure de performance de la passerelle',
    durationDays: 30,
    redirectUri: client.redirectUri,
    state: randomBytes(8).toString('hex'),
    fetchMode: 'periodic',
  });
}

/**
 * One active periodic consent of `login` for `datasets`, approved as a citizen does it: the
 * client's consent request, the consentUrl in a browser (FranceConnect sandbox login), the
 * consent page's form with its CSRF token, and the redirect back to the client.
 */
export async function approvedConsent(
  gatewayUrl: string,
  client: SeededClient,
  token: string,
  login: string,
  datasets: string[],
): Promise<string> {
  const created = await fetch(`${gatewayUrl}/api/v1/consent-requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: consentRequestBody(client, datasets),
  });
  const request = (await created.json()) as { id?: string; consentUrl?: string };
  if (created.status !== 201 || !request.id || !request.consentUrl) {
    throw new Error(`consent request refused: ${created.status} ${JSON.stringify(request)}`);
  }
  const jar = new CookieJar();
  const page = await loginThroughSandbox(request.consentUrl, login, jar, {
    stopAt: client.redirectUri,
  });
  const csrf = /<input type="hidden" name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !csrf) {
    throw new Error(`no consent page for ${login}: HTTP ${page.status} at ${page.url}`);
  }
  const decided = await navigate(
    jar,
    `${gatewayUrl}/consent/${request.id}/decision`,
    { body: new URLSearchParams({ decision: 'approve', csrf: csrf.replace(/&amp;/g, '&') }) },
    { stopAt: client.redirectUri },
  );
  const back = decided.location ? new URL(decided.location) : null;
  if (back?.searchParams.get('status') !== 'approved') {
    throw new Error(
      `approval of ${login} did not come back approved: ${decided.status} ${decided.location}`,
    );
  }
  const status = await fetch(`${gatewayUrl}/api/v1/consent-requests/${request.id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const answer = (await status.json()) as { status?: string; consentId?: string };
  if (answer.status !== 'approved' || !answer.consentId) {
    throw new Error(`consent request ${request.id} is not approved: ${JSON.stringify(answer)}`);
  }
  return answer.consentId;
}
