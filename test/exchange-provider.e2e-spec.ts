/**
 * The provider-calling half of the exchange against the real demo providers (HTTP servers on
 * random ports): data, reduction, 404s, every fault mode, retries, the circuit breaker, the
 * concurrency cap, OAuth token caching and the signed assertion the providers verify.
 *
 * ProviderClient is the real class. Tests that need their own breaker state build a fresh one
 * (with short timings); the gateway's own instance serves the status endpoint test.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import { DEMO_CATALOG, type DemoDatasetEntry } from '../sandbox/providers/catalog.js';
import { PROVIDER_RECORDS } from '../sandbox/providers/data.js';
import {
  ERROR_MODE_LEAK_MARKERS,
  PROVIDER_IDS,
  startDemoProviders,
  type DemoProviders,
  type ProviderAuth,
  type ProviderId,
} from '../sandbox/providers/server.js';
import { parseAllowList } from '../src/common/outbound-guard.js';
import { ApiError } from '../src/common/problem.js';
import { DatasetSchemas } from '../src/exchange/dataset-schemas.service.js';
import type {
  DatasetTarget,
  IdentityPivot,
  ProviderTarget,
} from '../src/exchange/exchange.types.js';
import {
  ProviderClient,
  type ProviderClientOptions,
} from '../src/exchange/provider-client.service.js';
import { ProviderHealth } from '../src/exchange/provider-health.service.js';
import { ProviderAssertions } from '../src/exchange/provider-assertions.service.js';
import { datasetTarget, providerTarget } from '../src/exchange/registry-targets.js';
import { RegistryService } from '../src/registry/registry.service.js';
import type { ProvidersStatusDto } from '../src/exchange/dto/provider-status.dto.js';
import { clientToken, registerSecretClient } from './support/clients.js';
import { ADMIN, operatorApi, seedDemoRegistry } from './support/operator.js';
import { withEnvironmentProxy } from './support/env-proxy.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const ISSUER = 'https://passerelle.test';
const RECIPIENT = '13002526500013';

// ------------------------------------------------------------------------------- fixtures

function identityOf(login: string): IdentityPivot {
  const c = TEST_CITIZENS.find((x) => x.login === login);
  if (!c) throw new Error(login);
  const { family_name, given_name, birthdate, gender, birthplace, birthcountry } = c;
  return { family_name, given_name, birthdate, gender, birthplace, birthcountry };
}

const catalogEntry = (id: ProviderId): DemoDatasetEntry => {
  const d = DEMO_CATALOG.datasets.find((x) => x.providerId === id);
  if (!d) throw new Error(id);
  return d;
};

function datasetOf(id: ProviderId, overrides: Partial<DatasetTarget> = {}): DatasetTarget {
  const d = catalogEntry(id);
  return {
    id: d.id,
    providerId: d.providerId,
    path: d.path,
    identityParams: d.identityParams,
    responseSchema: d.responseSchema,
    fields: d.fields,
    ...overrides,
  };
}

function authOf(auth: ProviderAuth): Pick<ProviderTarget, 'authKind' | 'authConfig' | 'secret'> {
  switch (auth.kind) {
    case 'none':
      return { authKind: 'none', authConfig: {}, secret: null };
    case 'api_key':
      return {
        authKind: 'api_key',
        authConfig: { headerName: auth.headerName },
        secret: auth.secret,
      };
    case 'bearer':
      return { authKind: 'bearer', authConfig: {}, secret: auth.token };
    case 'oauth2_client_credentials':
      return {
        authKind: 'oauth2_client_credentials',
        authConfig: { tokenUrl: auth.tokenUrl, clientId: auth.clientId },
        secret: auth.clientSecret,
      };
  }
}

const problemOf = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the fetch to fail');
};

/** What a client would see of an ApiError, as text (to look for leaks). */
const visible = (e: ApiError) =>
  JSON.stringify({ ...(e.getResponse() as object), headers: e.headers, extras: e.extras });

describe('exchange: ProviderClient against the demo providers', () => {
  let gw: TestGateway;
  let demo: DemoProviders;
  let jwksServer: http.Server;
  let signingKey: CryptoKey;
  let kid: string;
  let jwksUrl: string;
  const clients: ProviderClient[] = [];

  const providerOf = (id: ProviderId, overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    id,
    baseUrl: demo.providers[id].url,
    ...authOf(demo.providers[id].auth),
    timeoutMs: 3000,
    maxConcurrency: 16,
    status: 'active',
    ...overrides,
  });

  async function assertionFor(
    providerId: string,
    datasetId: string,
    key = signingKey,
    keyId = kid,
  ) {
    return new SignJWT({
      consent_id: randomUUID(),
      dataset: datasetId,
      purpose: 'Calcul du tarif de la cantine scolaire',
      client_id: 'demo-cantine',
      recipient: RECIPIENT,
    })
      .setProtectedHeader({ alg: 'ES256', kid: keyId, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(providerId)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(key);
  }

  /** A fresh client (own breakers, pools and token cache), closed after the file. */
  function freshClient(options: Partial<ProviderClientOptions> = {}) {
    const health = new ProviderHealth();
    const schemas = new DatasetSchemas();
    const client = new ProviderClient(schemas, health, {
      breakerResetMs: 300,
      retryBaseMs: 10,
      // The test providers listen on this machine.
      outboundAllowList: parseAllowList('localhost,127.0.0.1,::1'),
      ...options,
    });
    clients.push(client);
    return { client, health, schemas };
  }

  async function fetchFor(
    client: ProviderClient,
    id: ProviderId,
    login = 'angela',
    opts: {
      provider?: Partial<ProviderTarget>;
      dataset?: Partial<DatasetTarget>;
      assertion?: string | null;
    } = {},
  ) {
    const dataset = datasetOf(id, opts.dataset);
    return client.fetchDataset({
      provider: providerOf(id, opts.provider),
      dataset,
      identity: identityOf(login),
      assertion:
        opts.assertion === null
          ? undefined
          : (opts.assertion ?? (await assertionFor(id, dataset.id))),
      requestId: randomUUID(),
    });
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signingKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), alg: 'ES256', use: 'sig' };
    kid = 'test-key-1';
    jwk.kid = kid;
    const body = JSON.stringify({ keys: [jwk] });
    jwksServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, 'localhost', resolve));
    jwksUrl = `http://localhost:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    demo = await startDemoProviders({ gatewayJwksUrl: jwksUrl, gatewayIssuer: ISSUER });
    gw = await startGateway({ PROVIDER_BREAKER_RESET_MS: '300', PROVIDER_QUEUE_WAIT_MS: '200' });
    await seedDemoRegistry(gw, demo);
  });

  afterEach(() => {
    for (const id of PROVIDER_IDS) {
      demo.setMode(id, 'normal');
      demo.setLatency(id, 0);
    }
  });

  afterAll(async () => {
    for (const c of clients) c.onModuleDestroy();
    await gw?.close();
    await demo?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  // --------------------------------------------------------------------------- the data

  it.each(PROVIDER_IDS)('fetches %s for angela: validated, reduced', async (id) => {
    const { client } = freshClient();
    const before = demo.calls(id);
    const result = await fetchFor(client, id);
    const expected = PROVIDER_RECORDS[id].angela;
    expect(result.status).toBe('ok');
    // Every catalogue field is declared: the reduction keeps the whole record.
    expect(result.data).toEqual(expected);
    expect(result.attempts).toBe(1);
    expect(demo.calls(id) - before).toBe(1);
  });

  it('passes on only the fields the dataset declares', async () => {
    const { client } = freshClient();
    const result = await fetchFor(client, 'cnaf', 'angela', {
      dataset: {
        fields: { 'quotient_familial.valeur': 'QF', 'enfants.date_naissance': 'naissance' },
      },
    });
    const record = PROVIDER_RECORDS.cnaf.angela as {
      quotient_familial: { valeur: number };
      enfants: { date_naissance: string }[];
    };
    expect(result.data).toEqual({
      quotient_familial: { valeur: record.quotient_familial.valeur },
      enfants: record.enfants.map((e) => ({ date_naissance: e.date_naissance })),
    });
    expect(JSON.stringify(result.data)).not.toContain('RUE CLER');
  });

  it('drops properties the schema does not list instead of passing them through', async () => {
    const { client } = freshClient();
    const full = catalogEntry('dgfip').responseSchema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    const { erreur_correctif: _dropped, ...properties } = full.properties;
    const schema = {
      ...full,
      properties,
      required: full.required.filter((r) => r !== 'erreur_correctif'),
    };
    const result = await fetchFor(client, 'dgfip', 'angela', {
      dataset: { responseSchema: schema },
    });
    expect(result.data).not.toHaveProperty('erreur_correctif');
    expect(result.data).toHaveProperty('revenu_fiscal_reference');
  });

  it('compiles each dataset schema once, and again only when it changes', async () => {
    const { client, schemas } = freshClient();
    for (let i = 0; i < 5; i++) await fetchFor(client, 'mesr');
    expect(schemas.compileCount).toBe(1);
    // Same content in a new object (e.g. re-read from the database): no recompilation.
    const copy = structuredClone(catalogEntry('mesr').responseSchema);
    await fetchFor(client, 'mesr', 'angela', { dataset: { responseSchema: copy } });
    expect(schemas.compileCount).toBe(1);
    const changed = { ...copy, description: 'updated by the operator' };
    await fetchFor(client, 'mesr', 'angela', { dataset: { responseSchema: changed } });
    expect(schemas.compileCount).toBe(2);
  });

  // -------------------------------------------------------------------------- 404 and 4xx

  it('answers 404 with the provider’s message for a citizen it does not know, in one call', async () => {
    const { client } = freshClient();
    const before = demo.calls('cnaf');
    const e = await problemOf(fetchFor(client, 'cnaf', 'pierre'));
    expect(e.getStatus()).toBe(404);
    expect(e.code).toBe('citizen_unknown_to_provider');
    expect(e.extras.providerMessage).toBe(
      'Aucun dossier allocataire ne correspond à cette identité.',
    );
    expect(demo.calls('cnaf') - before).toBe(1);
  });

  it('answers 502 provider_rejected_request when the provider refuses the query, without retry', async () => {
    const { client } = freshClient();
    const before = demo.calls('dgfip');
    const e = await problemOf(
      client.fetchDataset({
        provider: providerOf('dgfip'),
        dataset: datasetOf('dgfip'),
        identity: { family_name: 'DUBOIS' },
        assertion: await assertionFor('dgfip', 'dgfip.avis_imposition'),
        requestId: randomUUID(),
      }),
    );
    expect([e.getStatus(), e.code]).toEqual([502, 'provider_rejected_request']);
    expect(e.detail).not.toMatch(/paramètres/i);
    expect(demo.calls('dgfip') - before).toBe(1);
  });

  it('answers 502 provider_auth_failed on wrong credentials', async () => {
    const { client } = freshClient();
    const e = await problemOf(
      fetchFor(client, 'cnaf', 'angela', { provider: { secret: 'not-the-key' } }),
    );
    expect([e.getStatus(), e.code]).toEqual([502, 'provider_auth_failed']);
    const f = await problemOf(
      fetchFor(client, 'dgfip', 'angela', { provider: { secret: 'not-the-token' } }),
    );
    expect(f.code).toBe('provider_auth_failed');
    const g = await problemOf(
      fetchFor(client, 'france_travail', 'angela', { provider: { secret: 'wrong' } }),
    );
    expect(g.code).toBe('provider_auth_failed');
  });

  // --------------------------------------------------------------------------- fault modes

  it('slow provider beyond the timeout budget: 504 provider_timeout', async () => {
    const { client } = freshClient();
    demo.setMode('mesr', 'slow', { delayMs: 2000 });
    const e = await problemOf(fetchFor(client, 'mesr', 'angela', { provider: { timeoutMs: 300 } }));
    expect([e.getStatus(), e.code]).toEqual([504, 'provider_timeout']);
  });

  it('provider 500 with internals in its body: 502 provider_error, nothing leaks, not retried', async () => {
    const { client } = freshClient();
    for (const id of PROVIDER_IDS) {
      demo.setMode(id, 'error');
      const before = demo.calls(id);
      const e = await problemOf(fetchFor(client, id));
      expect([e.getStatus(), e.code]).toEqual([502, 'provider_error']);
      expect(demo.calls(id) - before).toBe(1);
      const text = visible(e);
      for (const marker of ERROR_MODE_LEAK_MARKERS[id]) expect(text).not.toContain(marker);
      expect(text).not.toMatch(/jdbc|Exception|\.intra|trace/i);
    }
    // Nor in the gateway's logs (which do record the failures).
    const logs = gw.logs.text();
    expect(logs).toContain('provider fetch failed');
    for (const id of PROVIDER_IDS)
      for (const m of ERROR_MODE_LEAK_MARKERS[id]) expect(logs).not.toContain(m);
  });

  it('unavailable provider (503): retried, then 502 provider_error', async () => {
    const { client } = freshClient();
    demo.setMode('cnaf', 'unavailable');
    const before = demo.calls('cnaf');
    const e = await problemOf(fetchFor(client, 'cnaf'));
    expect([e.getStatus(), e.code]).toEqual([502, 'provider_error']);
    expect(visible(e)).not.toMatch(/Maintenance|<html/i);
    expect(demo.calls('cnaf') - before).toBe(3);
  });

  it('recovers within one fetch when a retry succeeds', async () => {
    const { client } = freshClient({ retryBaseMs: 200 });
    demo.setMode('dgfip', 'unavailable');
    const before = demo.calls('dgfip');
    const pending = fetchFor(client, 'dgfip');
    // Switch back as soon as the first attempt has been answered.
    while (demo.calls('dgfip') === before) await new Promise((r) => setTimeout(r, 2));
    demo.setMode('dgfip', 'normal');
    const result = await pending;
    expect(result.status).toBe('ok');
    expect(result.attempts).toBeGreaterThan(1);
  });

  it('connection refused: retried within the budget, then 502 provider_error', async () => {
    const { client } = freshClient();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, 'localhost', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await problemOf(
      fetchFor(client, 'cnaf', 'angela', { provider: { baseUrl: `http://localhost:${port}` } }),
    );
    expect([e.getStatus(), e.code]).toEqual([502, 'provider_error']);
  });

  it('malformed JSON: 502 provider_malformed_response', async () => {
    const { client } = freshClient();
    for (const id of PROVIDER_IDS) {
      demo.setMode(id, 'malformed');
      const e = await problemOf(fetchFor(client, id));
      expect([e.getStatus(), e.code]).toEqual([502, 'provider_malformed_response']);
    }
  });

  it('answer that breaks the schema: 502 provider_schema_mismatch, never passed through', async () => {
    const { client } = freshClient();
    for (const id of PROVIDER_IDS) {
      demo.setMode(id, 'schema_break');
      const e = await problemOf(fetchFor(client, id));
      expect([e.getStatus(), e.code]).toEqual([502, 'provider_schema_mismatch']);
      expect(visible(e)).not.toMatch(/DUBOIS|ANGELA|€/);
    }
    expect(gw.logs.text()).not.toMatch(/DUBOIS|1962-08-24/);
  });

  // ------------------------------------------------------------------------------ breaker

  it('opens the circuit after repeated failures, answers fast without calling, then closes', async () => {
    const { client, health } = freshClient({ breakerResetMs: 300 });
    demo.setMode('dgfip', 'error');
    for (let i = 0; i < 5; i++) {
      expect((await problemOf(fetchFor(client, 'dgfip'))).code).toBe('provider_error');
    }
    expect(client.circuitState('dgfip')).toBe('open');
    const calls = demo.calls('dgfip');
    for (let i = 0; i < 5; i++) {
      const e = await problemOf(fetchFor(client, 'dgfip'));
      expect([e.getStatus(), e.code]).toEqual([503, 'provider_circuit_open']);
      expect(Number(e.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    }
    expect(demo.calls('dgfip')).toBe(calls);
    // Other providers are not affected.
    expect((await fetchFor(client, 'cnaf')).status).toBe('ok');

    // The probe after the reset timeout still fails: open again, at once.
    await waitFor(() => client.circuitState('dgfip') === 'half_open');
    expect((await problemOf(fetchFor(client, 'dgfip'))).code).toBe('provider_error');
    expect(client.circuitState('dgfip')).toBe('open');
    expect((await problemOf(fetchFor(client, 'dgfip'))).code).toBe('provider_circuit_open');

    // The provider recovers; the next probe closes the circuit.
    demo.setMode('dgfip', 'normal');
    await waitFor(() => client.circuitState('dgfip') === 'half_open');
    expect((await fetchFor(client, 'dgfip')).status).toBe('ok');
    expect(client.circuitState('dgfip')).toBe('closed');
    expect(health.state('dgfip')).toBe('closed');
    // The failures that opened it are forgotten: one more error does not reopen it.
    demo.setMode('dgfip', 'error');
    await problemOf(fetchFor(client, 'dgfip'));
    expect(client.circuitState('dgfip')).toBe('closed');
  });

  it('does not open the circuit on 404s, refused credentials or malformed answers', async () => {
    const { client } = freshClient();
    for (let i = 0; i < 8; i++) {
      expect((await problemOf(fetchFor(client, 'cnaf', 'pierre'))).code).toBe(
        'citizen_unknown_to_provider',
      );
    }
    demo.setMode('cnaf', 'malformed');
    for (let i = 0; i < 8; i++) await problemOf(fetchFor(client, 'cnaf'));
    expect(client.circuitState('cnaf')).toBe('closed');
  });

  it('opens on timeouts too', async () => {
    const { client } = freshClient();
    demo.setMode('mesr', 'slow', { delayMs: 1000 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        problemOf(fetchFor(client, 'mesr', 'angela', { provider: { timeoutMs: 100 } })),
      ),
    );
    expect(results.map((e) => e.code)).toEqual(Array(5).fill('provider_timeout'));
    expect(client.circuitState('mesr')).toBe('open');
  });

  // ---------------------------------------------------------------------- concurrency cap

  it('a slow provider holds only its own slots: another provider answers meanwhile', async () => {
    const { client } = freshClient({ queueWaitMs: 300 });
    demo.setMode('cnaf', 'slow', { delayMs: 1500 });
    const before = demo.calls('cnaf');
    const order: string[] = [];
    const slow = Array.from({ length: 20 }, (_, i) =>
      fetchFor(client, 'cnaf', 'angela', { provider: { maxConcurrency: 4, timeoutMs: 5000 } }).then(
        () => order.push(`cnaf-${i}:ok`),
        (e: ApiError) => order.push(`cnaf-${i}:${e.code}`),
      ),
    );
    // Wait until the four allowed calls reached the slow provider.
    await waitFor(() => demo.calls('cnaf') - before === 4);
    const fast = await fetchFor(client, 'dgfip');
    order.push('dgfip:ok');
    expect(fast.status).toBe('ok');
    // dgfip answered while every cnaf call was still pending, except the queued ones refused
    // for waiting too long.
    expect(order.filter((o) => o.endsWith(':ok'))).toEqual(['dgfip:ok']);
    await Promise.all(slow);
    // The cap held: never more than 4 calls reached cnaf; the others waited, then got 503.
    expect(demo.calls('cnaf') - before).toBe(4);
    expect(order.filter((o) => o.startsWith('cnaf') && o.endsWith(':ok'))).toHaveLength(4);
    expect(order.filter((o) => o.endsWith(':provider_busy'))).toHaveLength(16);
  });

  // -------------------------------------------------------------------------- OAuth token

  it('caches the France Travail access token across fetches (one token request)', async () => {
    const { client } = freshClient();
    const tokensBefore = demo.tokenCalls();
    // Concurrent first use: one token request shared by all.
    await Promise.all(Array.from({ length: 10 }, () => fetchFor(client, 'france_travail')));
    for (let i = 0; i < 10; i++) await fetchFor(client, 'france_travail');
    expect(demo.tokenCalls() - tokensBefore).toBe(1);
  });

  it('gets a new token once when the provider answers 401 to a cached one', async () => {
    const { client } = freshClient();
    await fetchFor(client, 'france_travail');
    const tokensBefore = demo.tokenCalls();
    const callsBefore = demo.calls('france_travail');
    demo.revokeFranceTravailTokens();
    const result = await fetchFor(client, 'france_travail');
    expect(result.status).toBe('ok');
    expect(result.attempts).toBe(2); // data (401), then data with the new token
    expect(demo.tokenCalls() - tokensBefore).toBe(1);
    expect(demo.calls('france_travail') - callsBefore).toBe(2);
  });

  // ---------------------------------------------------------------------------- assertion

  it('sends the signed assertion the provider verifies; a missing or forged one is refused', async () => {
    const { client } = freshClient();
    const ok = await fetchFor(client, 'mesr');
    expect(ok.status).toBe('ok');

    const missing = await problemOf(fetchFor(client, 'mesr', 'angela', { assertion: null }));
    expect(missing.code).toBe('provider_auth_failed');

    const other = await generateKeyPair('ES256');
    const forged = await assertionFor('mesr', 'mesr.statut_etudiant', other.privateKey, kid);
    expect((await problemOf(fetchFor(client, 'mesr', 'angela', { assertion: forged }))).code).toBe(
      'provider_auth_failed',
    );

    const wrongAudience = await assertionFor('cnaf', 'mesr.statut_etudiant');
    expect(
      (await problemOf(fetchFor(client, 'mesr', 'angela', { assertion: wrongAudience }))).code,
    ).toBe('provider_auth_failed');
    const wrongDataset = await assertionFor('mesr', 'cnaf.quotient_familial');
    expect(
      (await problemOf(fetchFor(client, 'mesr', 'angela', { assertion: wrongDataset }))).code,
    ).toBe('provider_auth_failed');
  });

  it('the gateway’s own assertion (SigningKeyService, JWKS at /.well-known/jwks.json) passes the provider’s check', async () => {
    const { client } = freshClient();
    const assertions = gw.app.get(ProviderAssertions);
    demo.setGatewayJwksUrl(`${gw.url}/.well-known/jwks.json`, gw.config.publicUrl);
    try {
      const sign = (providerId: string, datasetId: string) =>
        assertions.sign({
          providerId,
          consentId: randomUUID(),
          datasetId,
          purpose: 'Tarification de la cantine',
          clientId: 'demo-cantine',
          recipient: RECIPIENT,
        });
      for (const id of PROVIDER_IDS) {
        const dataset = datasetOf(id);
        const result = await fetchFor(client, id, 'angela', {
          assertion: await sign(id, dataset.id),
        });
        expect(result.status).toBe('ok');
      }
      // Signed for another provider: refused by this one.
      const misdirected = await sign('dgfip', 'cnaf.quotient_familial');
      expect(
        (await problemOf(fetchFor(client, 'cnaf', 'angela', { assertion: misdirected }))).code,
      ).toBe('provider_auth_failed');
      // The test key is not the gateway's: refused too.
      expect((await problemOf(fetchFor(client, 'cnaf'))).code).toBe('provider_auth_failed');
    } finally {
      demo.setGatewayJwksUrl(jwksUrl, ISSUER);
    }
  });

  it('fetches from the registry’s own records (RegistryService -> targets), and follows schema edits', async () => {
    const { client, schemas } = freshClient();
    const registry = gw.app.get(RegistryService);
    for (const id of PROVIDER_IDS) {
      const d = (await registry.getActiveDataset(catalogEntry(id).id))!;
      const p = (await registry.getProviderWithSecret(d.providerId))!;
      const result = await client.fetchDataset({
        provider: providerTarget(p),
        dataset: datasetTarget(d),
        identity: identityOf('angela'),
        assertion: await assertionFor(id, d.id),
        requestId: randomUUID(),
      });
      expect(result.data).toEqual(PROVIDER_RECORDS[id].angela);
    }
    expect(schemas.compileCount).toBe(4);

    // The operator tightens the CNAF schema: the next fetch uses the new one.
    const fetchCnaf = async () => {
      const d = (await registry.getActiveDataset('cnaf.quotient_familial'))!;
      const p = (await registry.getProviderWithSecret('cnaf'))!;
      return client.fetchDataset({
        provider: providerTarget(p),
        dataset: datasetTarget(d),
        identity: identityOf('angela'),
        assertion: await assertionFor('cnaf', d.id),
        requestId: randomUUID(),
      });
    };
    await fetchCnaf();
    expect(schemas.compileCount).toBe(4);
    const schema = structuredClone(catalogEntry('cnaf').responseSchema) as {
      properties: { quotient_familial: { properties: { valeur: Record<string, unknown> } } };
    };
    schema.properties.quotient_familial.properties.valeur = { type: 'integer', maximum: 10 };
    const patched = await operatorApi(gw).patch(`${ADMIN}/datasets/cnaf.quotient_familial`, {
      responseSchema: schema,
    });
    expect(patched.status).toBe(200);
    const e = await problemOf(fetchCnaf());
    expect(e.code).toBe('provider_schema_mismatch');
    expect(schemas.compileCount).toBe(5);
    const restored = await operatorApi(gw).patch(`${ADMIN}/datasets/cnaf.quotient_familial`, {
      responseSchema: catalogEntry('cnaf').responseSchema,
    });
    expect(restored.status).toBe(200);
    expect((await fetchCnaf()).status).toBe('ok');
  });

  // ---------------------------------------------------------------- hostile provider answers

  describe('against a provider that misbehaves on purpose', () => {
    let hostile: http.Server;
    let hostileUrl: string;
    let redirectTargetHits = 0;
    let redirectTarget: http.Server;
    let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;

    beforeAll(async () => {
      redirectTarget = http.createServer((_req, res) => {
        redirectTargetHits++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
      await new Promise<void>((resolve) => redirectTarget.listen(0, 'localhost', resolve));
      hostile = http.createServer((req, res) => handler(req, res));
      await new Promise<void>((resolve) => hostile.listen(0, 'localhost', resolve));
      hostileUrl = `http://localhost:${(hostile.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      hostile.closeAllConnections();
      redirectTarget.closeAllConnections();
      await new Promise((resolve) => hostile.close(resolve));
      await new Promise((resolve) => redirectTarget.close(resolve));
    });

    const hostileProvider = (): ProviderTarget => ({
      id: 'hostile',
      baseUrl: hostileUrl,
      authKind: 'none',
      authConfig: {},
      secret: null,
      timeoutMs: 2000,
      maxConcurrency: 4,
      status: 'active',
    });
    const hostileFetch = (client: ProviderClient) =>
      client.fetchDataset({
        provider: hostileProvider(),
        dataset: { ...datasetOf('cnaf'), providerId: 'hostile' },
        identity: identityOf('angela'),
        requestId: randomUUID(),
      });

    it('does not follow redirects (the identity goes nowhere else)', async () => {
      const { client } = freshClient();
      const target = `http://localhost:${(redirectTarget.address() as AddressInfo).port}/steal`;
      handler = (_req, res) => {
        res.writeHead(302, { Location: target });
        res.end();
      };
      const e = await problemOf(hostileFetch(client));
      expect([e.getStatus(), e.code]).toEqual([502, 'provider_error']);
      expect(redirectTargetHits).toBe(0);
    });

    it('refuses an answer over the size cap', async () => {
      const { client } = freshClient({ maxResponseBytes: 64 * 1024 });
      const big = JSON.stringify({ padding: 'x'.repeat(200 * 1024) });
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(big);
      };
      const e = await problemOf(hostileFetch(client));
      expect([e.getStatus(), e.code]).toEqual([502, 'provider_malformed_response']);
    });

    it('refuses a 200 that is not JSON', async () => {
      const { client } = freshClient();
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>ok</html>');
      };
      expect((await problemOf(hostileFetch(client))).code).toBe('provider_malformed_response');
    });

    it('sanitizes a 404 message: plain text, one line, short; nothing else of the body', async () => {
      const { client } = freshClient();
      handler = (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            errors: [
              {
                title: 'x',
                detail: `Inconnu <script>alert(1)</script>\u202e\n<b>ici</b> ${'z'.repeat(500)}`,
                meta: { host: 'db-01.internal' },
              },
            ],
            trace: 'at com.example.Secret',
          }),
        );
      };
      const e = await problemOf(hostileFetch(client));
      expect(e.code).toBe('citizen_unknown_to_provider');
      expect(e.extras.providerMessage).toMatch(/^Inconnu alert\(1\) ici z+…$/);
      expect(String(e.extras.providerMessage).length).toBeLessThanOrEqual(200);
      expect(visible(e)).not.toMatch(/db-01|com\.example|<|>/);
    });

    it('gives a default message when the 404 body is not the expected JSON', async () => {
      const { client } = freshClient();
      handler = (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<html><body>Tomcat 9.0.1 /opt/app</body></html>');
      };
      const e = await problemOf(hostileFetch(client));
      expect(e.code).toBe('citizen_unknown_to_provider');
      expect(e.extras.providerMessage).toBe(
        'Le fournisseur de données ne connaît pas cette personne.',
      );
    });

    it('never goes through an environment proxy (HTTP_PROXY and the like are ignored)', async () => {
      // The proxy would serve the same answer: only its hit count tells.
      const record = JSON.stringify(PROVIDER_RECORDS.cnaf.angela);
      let providerHits = 0;
      handler = (_req, res) => {
        providerHits++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(record);
      };
      await withEnvironmentProxy({ status: 200, body: record }, async (proxy) => {
        const { client } = freshClient();
        const result = await hostileFetch(client);
        expect(result.status).toBe('ok');
        expect([providerHits, proxy.hits()]).toEqual([1, 0]);
      });
    });

    it('answers 503 provider_disabled without calling a disabled provider', async () => {
      const { client } = freshClient();
      let hits = 0;
      handler = (_req, res) => {
        hits++;
        res.end();
      };
      const e = await problemOf(
        client.fetchDataset({
          provider: { ...hostileProvider(), status: 'disabled' },
          dataset: { ...datasetOf('cnaf'), providerId: 'hostile' },
          identity: identityOf('angela'),
          requestId: randomUUID(),
        }),
      );
      expect([e.getStatus(), e.code]).toEqual([503, 'provider_disabled']);
      expect(hits).toBe(0);
    });
  });

  // -------------------------------------------------------------------------- status API

  it('reports each provider’s circuit state and error rate at GET /api/v1/providers/status', async () => {
    const client = gw.app.get(ProviderClient);
    await fetchFor(client, 'cnaf');
    demo.setMode('mesr', 'error');
    for (let i = 0; i < 5; i++) await problemOf(fetchFor(client, 'mesr'));
    await problemOf(fetchFor(client, 'mesr'));

    const res = await request(gw.url)
      .get('/api/v1/providers/status')
      .set('Authorization', `Bearer ${gw.config.operatorToken}`)
      .expect(200);
    const byId = Object.fromEntries(
      (res.body as ProvidersStatusDto).providers.map((p) => [p.id, p]),
    );
    expect(byId.cnaf).toMatchObject({
      name: 'Caisse nationale des allocations familiales (CNAF)',
      enabled: true,
      state: 'closed',
      lastMinute: { calls: 1, errors: 0, rejected: 0, errorRate: 0 },
    });
    expect(byId.mesr).toMatchObject({
      state: 'open',
      lastMinute: { calls: 5, errors: 5, rejected: 1, errorRate: 1 },
      lastCalls: { calls: 5, errors: 5, errorRate: 1 },
      lastErrorCode: 'provider_error',
    });
    expect(res.body.scope).toBe('instance');
    // Registered but never called by this instance: listed, closed, no calls.
    expect(byId.dgfip).toMatchObject({ state: 'closed', lastCalls: { calls: 0 } });
    expect(Object.keys(byId).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it('serves the status to requesting services and operators only', async () => {
    const url = '/api/v1/providers/status';
    const none = await request(gw.url).get(url).expect(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('invalid_token');
    await request(gw.url).get(url).set('Authorization', 'Bearer not-a-token').expect(401);
    await request(gw.url)
      .get(url)
      .set('Authorization', `Bearer ${gw.config.operatorToken}x`)
      .expect(401);
    await request(gw.url)
      .get(url)
      .set('Authorization', `Basic ${gw.config.operatorToken}`)
      .expect(401);

    const client = await registerSecretClient(gw);
    const token = await clientToken(gw, client);
    const ok = await request(gw.url).get(url).set('Authorization', `Bearer ${token}`).expect(200);
    expect(Array.isArray(ok.body.providers)).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
