/**
 * Drives the operator API (`/api/v1/admin/*`) over HTTP with the gateway's operator token, the
 * way an operator's script would: seed providers, datasets, clients and habilitations for a
 * test. Every helper fails loudly (with the problem body) when the gateway refuses.
 */
import request from 'supertest';
import type { Response, Test } from 'supertest';
import { DEMO_CATALOG, type DemoDatasetEntry } from '../../sandbox/providers/catalog.js';
import type { DemoProviders } from '../../sandbox/providers/server.js';
import type { ProviderAuth } from '../../src/registry/registry.types.js';
import type { TestGateway } from './gateway.js';

export const ADMIN = '/api/v1/admin';

/** A SIRET passing the Luhn check (a French commune's). */
export const VALID_SIRET = '21690123100011';

/** Requests carrying the operator token. */
export function operatorApi(gw: TestGateway) {
  const auth = (t: Test) => t.set('Authorization', `Bearer ${gw.config.operatorToken}`);
  return {
    get: (path: string) => auth(request(gw.url).get(path)),
    post: (path: string, body?: object) => auth(request(gw.url).post(path)).send(body ?? {}),
    patch: (path: string, body: object) => auth(request(gw.url).patch(path)).send(body),
    delete: (path: string) => auth(request(gw.url).delete(path)),
  };
}

function expectOk(res: Response, what: string): Response {
  if (res.status >= 300) {
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res;
}

export interface ProviderInput {
  id: string;
  name: string;
  baseUrl: string;
  auth: ProviderAuth;
  timeoutMs?: number;
  maxConcurrency?: number;
  status?: 'active' | 'disabled';
}

/** Registers a provider; by default CNAF with an API key, at an address nothing listens on. */
export async function seedProvider(gw: TestGateway, input: Partial<ProviderInput> = {}) {
  const body: ProviderInput = {
    id: 'cnaf',
    name: DEMO_CATALOG.providers.find((p) => p.id === 'cnaf')!.name,
    baseUrl: 'http://127.0.0.1:9',
    auth: { kind: 'api_key', headerName: 'X-Api-Key', secret: 'test-cnaf-api-key' },
    ...input,
  };
  const res = await operatorApi(gw).post(`${ADMIN}/providers`, body);
  return expectOk(res, `seedProvider ${body.id}`).body;
}

export type DatasetInput = Omit<DemoDatasetEntry, 'providerId'> & {
  providerId: string;
  status?: 'active' | 'disabled';
};

/** Registers a dataset; by default the demo catalogue's `cnaf.quotient_familial` (its provider must exist). */
export async function seedDataset(gw: TestGateway, input: Partial<DatasetInput> = {}) {
  const base = DEMO_CATALOG.datasets.find((d) => d.id === (input.id ?? 'cnaf.quotient_familial'));
  const body = { ...(base ?? {}), ...input };
  const res = await operatorApi(gw).post(`${ADMIN}/datasets`, body);
  return expectOk(res, `seedDataset ${body.id}`).body;
}

export interface ClientInput {
  clientId?: string;
  name: string;
  siret: string;
  contactEmail: string;
  redirectUris: string[];
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  jwks?: { keys: object[] };
  jwksUri?: string;
  status?: 'active' | 'suspended';
}

/** What POST /clients answers: the client, and `clientSecret` (once) for secret methods. */
export interface SeededClient {
  id: string;
  clientId: string;
  clientSecret?: string;
  authMethod: ClientInput['authMethod'];
  redirectUris: string[];
  status: string;
  [key: string]: unknown;
}

/** Registers a requesting service; by default client_secret_basic, redirect URI on the gateway. */
export async function seedClient(
  gw: TestGateway,
  input: Partial<ClientInput> = {},
): Promise<SeededClient> {
  const body: ClientInput = {
    name: 'Ville de Démo — restauration scolaire',
    siret: VALID_SIRET,
    contactEmail: 'dpo@ville-demo.example.fr',
    redirectUris: [`${gw.url}/test-callback`],
    authMethod: 'client_secret_basic',
    ...input,
  };
  const res = await operatorApi(gw).post(`${ADMIN}/clients`, body);
  return expectOk(res, `seedClient ${body.clientId ?? ''}`).body;
}

export interface HabilitationInput {
  clientId: string;
  datasets: string[];
  purpose?: string;
  legalBasis?: string;
  legalBasisUrl?: string;
  maxDurationDays?: number;
  allowPeriodic?: boolean;
  minFetchIntervalSeconds?: number;
  validFrom?: string;
  validTo?: string;
}

/** Grants a client (by its public client_id) the given datasets. */
export async function seedHabilitation(gw: TestGateway, input: HabilitationInput) {
  const body = {
    purpose: 'Calcul du tarif de la restauration scolaire selon le quotient familial',
    legalBasis: 'Article L. 114-8 du code des relations entre le public et l’administration',
    legalBasisUrl: 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367412',
    maxDurationDays: 365,
    ...input,
  };
  const res = await operatorApi(gw).post(`${ADMIN}/habilitations`, body);
  return expectOk(res, `seedHabilitation ${input.clientId}`).body;
}

export interface DemoRegistry {
  providers: string[];
  datasets: string[];
  client: SeededClient;
  habilitation: { id: string; datasets: string[]; [key: string]: unknown };
}

/**
 * The whole demo catalogue against running demo providers (`startDemoProviders()`): the four
 * providers with their real addresses and credentials, every dataset, one client and one
 * habilitation covering all datasets.
 */
export async function seedDemoRegistry(
  gw: TestGateway,
  providers: DemoProviders,
  options: { client?: Partial<ClientInput>; habilitation?: Partial<HabilitationInput> } = {},
): Promise<DemoRegistry> {
  for (const p of DEMO_CATALOG.providers) {
    await seedProvider(gw, {
      id: p.id,
      name: p.name,
      baseUrl: providers.providers[p.id].url,
      auth: providers.providers[p.id].auth,
    });
  }
  for (const d of DEMO_CATALOG.datasets) await seedDataset(gw, { ...d });
  const datasets = DEMO_CATALOG.datasets.map((d) => d.id);
  const client = await seedClient(gw, options.client);
  const habilitation = await seedHabilitation(gw, {
    clientId: client.clientId,
    datasets,
    ...options.habilitation,
  });
  return { providers: DEMO_CATALOG.providers.map((p) => p.id), datasets, client, habilitation };
}
