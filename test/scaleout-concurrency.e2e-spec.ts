/**
 * The fetch budget under concurrency, through HTTP: the budget is spent by one conditional
 * UPDATE (ConsentService.reserveFetch), and this must hold whatever the interleaving, on one
 * instance or two sharing a database:
 *
 * - a `once` consent serves a dataset exactly once, however many fetches race for it;
 * - a `periodic` consent without minimum interval serves every concurrent fetch;
 * - every answered fetch has exactly one audit event, and the chain verifies.
 *
 * The two-instance part runs when DATABASE_URL is set (PGlite is one process's database).
 */
import { randomBytes } from 'node:crypto';
import { startDemoProviders, type DemoProviders } from '../sandbox/providers/server.js';
import { clientToken } from './support/clients.js';
import {
  approveAsCitizen,
  clientGet,
  createConsentRequest,
  CONSENT_REQUESTS,
} from './support/consent.js';
import {
  startGatewayWithFranceConnect,
  type GatewayWithFranceConnect,
} from './support/franceconnect.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { ADMIN, operatorApi, seedDemoRegistry } from './support/operator.js';

const CNAF = 'cnaf.quotient_familial';
const RACERS = 40;

describe('fetch budget under concurrent fetches', () => {
  let env: GatewayWithFranceConnect;
  let gw: TestGateway;
  let providers: DemoProviders;
  let token: string;
  let redirectUri: string;

  beforeAll(async () => {
    env = await startGatewayWithFranceConnect({ RATE_LIMIT_PER_MINUTE: '100000' });
    gw = env.gateway;
    providers = await startDemoProviders({
      gatewayJwksUrl: `${gw.url}/.well-known/jwks.json`,
      gatewayIssuer: gw.config.publicUrl,
    });
    redirectUri = `${gw.url}/test-callback`;
    const registry = await seedDemoRegistry(gw, providers, {
      client: { redirectUris: [redirectUri] },
      habilitation: { allowPeriodic: true, minFetchIntervalSeconds: 0 },
    });
    token = await clientToken(gw, {
      id: registry.client.id,
      clientId: registry.client.clientId,
      clientSecret: registry.client.clientSecret!,
      authMethod: 'client_secret_basic',
    });
  });

  afterAll(async () => {
    await providers?.close();
    await env?.close();
  });

  async function approved(fetchMode: 'once' | 'periodic'): Promise<string> {
    const created = await createConsentRequest(gw, token, {
      datasets: [CNAF],
      purpose: 'Calcul du tarif de la cantine scolaire',
      durationDays: 30,
      redirectUri,
      state: randomBytes(8).toString('hex'),
      fetchMode,
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
    await approveAsCitizen(created.body.consentUrl, 'angela', redirectUri);
    const status = await clientGet(gw, token, `${CONSENT_REQUESTS}/${created.body.id}`);
    return status.body.consentId as string;
  }

  async function race(urls: string[], consentId: string) {
    const answers = await Promise.all(
      Array.from({ length: RACERS }, async (_, i) => {
        const res = await fetch(
          `${urls[i % urls.length]}/api/v1/consents/${consentId}/data/${CNAF}`,
          {
            headers: { authorization: `Bearer ${token}` },
          },
        );
        const body = (await res.json()) as { code?: string };
        return { status: res.status, code: body.code, requestId: res.headers.get('x-request-id') };
      }),
    );
    return answers;
  }

  async function auditedFetches(
    consentId: string,
  ): Promise<Array<{ outcome: string; requestId: string }>> {
    const q = new URLSearchParams({ consentId, kind: 'exchange.', limit: '500' });
    const page = await operatorApi(gw).get(`${ADMIN}/audit?${q}`);
    expect(page.status).toBe(200);
    return page.body.items;
  }

  async function expectChainVerifies() {
    const verified = await operatorApi(gw).post(`${ADMIN}/audit/verify`);
    expect(verified.body).toMatchObject({ ok: true });
  }

  it('serves a once consent exactly once, however many fetches race for it', async () => {
    const consentId = await approved('once');
    const answers = await race([gw.url], consentId);
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    expect(
      answers.filter((a) => a.status === 403 && a.code === 'fetch_budget_exhausted'),
    ).toHaveLength(RACERS - 1);
    const events = await auditedFetches(consentId);
    const served = events.filter((e) => e.outcome === 'ok');
    expect(served.map((e) => e.requestId)).toEqual([ok[0].requestId]);
    expect(events.filter((e) => e.outcome === 'fetch_budget_exhausted')).toHaveLength(RACERS - 1);
    await expectChainVerifies();
  });

  it('serves every concurrent fetch of a periodic consent without minimum interval', async () => {
    const consentId = await approved('periodic');
    const answers = await race([gw.url], consentId);
    expect(answers.map((a) => a.status)).toEqual(Array(RACERS).fill(200));
    const events = await auditedFetches(consentId);
    expect(
      events
        .filter((e) => e.outcome === 'ok')
        .map((e) => e.requestId)
        .sort(),
    ).toEqual(answers.map((a) => a.requestId).sort());
    await expectChainVerifies();
  });

  const shared = process.env.DATABASE_URL ? it : it.skip;
  if (!process.env.DATABASE_URL) {
    console.log('two-instance budget race skipped: it needs DATABASE_URL (one shared PostgreSQL)');
  }
  shared('serves a once consent exactly once across two instances on one database', async () => {
    // Approved first: passport's strategies live in one process-wide registry, so a second app
    // in this process would take over the FranceConnect login of the first.
    const consentId = await approved('once');
    // A second gateway on the same database, behind the same public address (tokens and
    // consent keys are shared: same master key).
    const second = await startGateway(
      {
        PUBLIC_URL: gw.config.publicUrl,
        MASTER_KEY: gw.config.masterKey.toString('base64'),
        OPERATOR_TOKEN: gw.config.operatorToken,
        SESSION_SECRET: gw.config.sessionSecret,
        RATE_LIMIT_PER_MINUTE: '100000',
      },
      gw.database,
    );
    try {
      const answers = await race([gw.url, second.url], consentId);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.code === 'fetch_budget_exhausted')).toHaveLength(RACERS - 1);
      expect((await auditedFetches(consentId)).filter((e) => e.outcome === 'ok')).toHaveLength(1);
      await expectChainVerifies();
    } finally {
      await second.close();
    }
  });
});
