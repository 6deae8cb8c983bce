/**
 * The consented fetch against the real demo providers switched to their fault modes (slow,
 * error, unavailable, malformed, schema_break): the right status every time, nothing of the
 * provider's internals in the answer, the circuit breaker opening (fast 503s that never reach
 * the provider) and closing after recovery, the other providers answering meanwhile, every
 * attempt in the audit log; then a few hundred fetches in parallel, each audited once, and the
 * audit chain still verifying.
 *
 * The consent is approved through ConsentService.decide (the citizen pages are covered by
 * exchange-fetch.e2e-spec.ts); the identity is angela's, so the providers know her.
 */
import { randomBytes } from 'node:crypto';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import { DEMO_CATALOG } from '../sandbox/providers/catalog.js';
import {
  ERROR_MODE_LEAK_MARKERS,
  startDemoProviders,
  type DemoProviders,
  type ProviderId,
  type ProviderMode,
} from '../sandbox/providers/server.js';
import { AuditService } from '../src/audit/audit.service.js';
import type { IdentityPivot } from '../src/identity/identity.types.js';
import { createCitizen, decideAs, demoConsentClient, pendingRequest } from './support/consent.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { ADMIN, operatorApi } from './support/operator.js';

const PROBLEM = 'application/problem+json';
const ALL_DATASETS = DEMO_CATALOG.datasets.map((d) => d.id);
const DATASET_OF = Object.fromEntries(
  DEMO_CATALOG.datasets.map((d) => [d.providerId, d.id]),
) as Record<ProviderId, string>;
const BREAKER_RESET_MS = 1000;
/** Anything a provider's fault answer carries that must never reach a client. */
const LEAK_MARKERS = [
  ...Object.values(ERROR_MODE_LEAK_MARKERS).flat(),
  'HikariPool',
  'java.',
  'springframework',
  '.intra',
  'Maintenance en cours',
  '<html',
];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  requestId: string;
}

function identityOf(login: string): IdentityPivot {
  const c = TEST_CITIZENS.find((x) => x.login === login)!;
  const { given_name, family_name, birthdate, gender, birthplace, birthcountry } = c;
  return { given_name, family_name, birthdate, gender, birthplace, birthcountry };
}

describe('consented fetch: provider faults, circuit breaker, concurrent load', () => {
  let gw: TestGateway;
  let providers: DemoProviders;
  let token: string;
  let consentId: string;
  /** Every request this suite sent to the fetch endpoint, by request id. */
  const sent = new Map<string, number>();

  async function fetchData(datasetId: string): Promise<Answer> {
    const correlationId = `faults-${randomBytes(8).toString('hex')}`;
    const res = await fetch(`${gw.url}/api/v1/consents/${consentId}/data/${datasetId}`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': correlationId },
    });
    // The gateway's own id (audit rows carry it); the client's is kept as the correlation id.
    const requestId = res.headers.get('x-request-id')!;
    expect(res.headers.get('x-correlation-id')).toBe(correlationId);
    const text = await res.text();
    sent.set(requestId, res.status);
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text), requestId };
  }

  function expectNoLeak(res: Answer): void {
    for (const marker of LEAK_MARKERS)
      expect({ marker, leaked: res.text.includes(marker) }).toEqual({ marker, leaked: false });
  }

  /** The outcome events of a request (its call intent, `provider.call`, left aside). */
  function auditOf(requestId: string) {
    return gw.prisma.auditEvent.findMany({
      where: { requestId, kind: { not: 'provider.call' } },
      orderBy: { seq: 'asc' },
    });
  }

  beforeAll(async () => {
    gw = await startGateway({
      PROVIDER_BREAKER_RESET_MS: String(BREAKER_RESET_MS),
      RATE_LIMIT_PER_MINUTE: '100000',
      // The parallel load queues for provider slots longer than the default second on a slow
      // machine; this suite is about correctness under load, not about the queue's limit.
      PROVIDER_QUEUE_WAIT_MS: '10000',
    });
    providers = await startDemoProviders({
      gatewayJwksUrl: `${gw.url}/.well-known/jwks.json`,
      gatewayIssuer: gw.config.publicUrl,
    });
    const c = await demoConsentClient(gw, providers, {
      allowPeriodic: true,
      minFetchIntervalSeconds: 0,
    });
    token = c.token;
    const req = await pendingRequest(gw, c, { datasets: ALL_DATASETS, fetchMode: 'periodic' });
    const citizen = await createCitizen(gw);
    const decided = await decideAs(gw, req.id, citizen.id, 'approve', identityOf('angela'));
    consentId = decided.consentId!;
  });

  afterEach(() => {
    for (const id of ['cnaf', 'france_travail', 'mesr', 'dgfip'] as ProviderId[]) {
      providers.setMode(id, 'normal');
    }
  });

  afterAll(async () => {
    await providers?.close();
    await gw?.close();
  });

  it('answers each fault mode with its own status and code, leaks nothing, and audits the failure', async () => {
    // One provider per mode (at most two calls each): no breaker opens in this test. MESR
    // gets a short budget for the duration, so that `slow` times out quickly.
    const patch = (timeoutMs: number) =>
      operatorApi(gw).patch(`${ADMIN}/providers/mesr`, { timeoutMs });
    expect((await patch(800)).status).toBe(200);
    const cases: Array<[ProviderId, ProviderMode, number, string]> = [
      ['cnaf', 'error', 502, 'provider_error'],
      ['france_travail', 'unavailable', 502, 'provider_error'],
      ['mesr', 'slow', 504, 'provider_timeout'],
      ['dgfip', 'malformed', 502, 'provider_malformed_response'],
      ['dgfip', 'schema_break', 502, 'provider_schema_mismatch'],
    ];
    for (const [provider, mode, status, code] of cases) {
      providers.setMode(provider, mode, mode === 'slow' ? { delayMs: 3000 } : undefined);
      const before = providers.calls(provider);
      const res = await fetchData(DATASET_OF[provider]);
      expect({ provider, mode, status: res.status, code: res.body.code }).toEqual({
        provider,
        mode,
        status,
        code,
      });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      expect(res.body.requestId).toBe(res.requestId);
      expectNoLeak(res);
      // The provider was really called (retried, for a 503 page).
      expect(providers.calls(provider)).toBeGreaterThan(before);
      const rows = await auditOf(res.requestId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        kind: 'exchange.fetch_failed',
        outcome: code,
        httpStatus: status,
        consentId,
        datasetId: DATASET_OF[provider],
        payloadDigest: null,
      });
      providers.setMode(provider, 'normal');
      // The same provider serves again, and the process never stopped.
      expect((await fetchData(DATASET_OF[provider])).status).toBe(200);
    }
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
    expect((await patch(5000)).status).toBe(200);
  });

  it('opens the breaker (fast 503s that never reach the provider), keeps the others answering, and closes it after recovery', async () => {
    providers.setMode('cnaf', 'error');
    let opened: Answer | null = null;
    for (let i = 0; i < 20 && !opened; i++) {
      const res = await fetchData(DATASET_OF.cnaf);
      if (res.body.code === 'provider_circuit_open') opened = res;
      else expect(res.body.code).toBe('provider_error');
      expectNoLeak(res);
    }
    expect(opened).not.toBeNull();
    expect(opened!.status).toBe(503);
    expect(Number(opened!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // While open: refused at once, the provider is not called any more.
    const calls = providers.calls('cnaf');
    for (let i = 0; i < 3; i++) {
      const res = await fetchData(DATASET_OF.cnaf);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('provider_circuit_open');
    }
    expect(providers.calls('cnaf')).toBe(calls);
    // Other providers keep answering.
    for (const provider of ['dgfip', 'france_travail', 'mesr'] as ProviderId[]) {
      expect((await fetchData(DATASET_OF[provider])).status).toBe(200);
    }
    const status = await fetch(`${gw.url}/api/v1/providers/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const report = (await status.json()) as { providers: Array<{ id: string; state: string }> };
    expect(report.providers.find((p) => p.id === 'cnaf')?.state).toBe('open');

    // Recovery: after the reset delay one probe goes through, succeeds, and closes the circuit.
    providers.setMode('cnaf', 'normal');
    let served: Answer | null = null;
    const deadline = Date.now() + 10 * BREAKER_RESET_MS;
    while (!served && Date.now() < deadline) {
      const res = await fetchData(DATASET_OF.cnaf);
      if (res.status === 200) served = res;
      else {
        expect(res.body.code).toBe('provider_circuit_open');
        await new Promise((r) => setTimeout(r, BREAKER_RESET_MS / 4));
      }
    }
    expect(served).not.toBeNull();
    expect(providers.calls('cnaf')).toBeGreaterThan(calls);
    expect((await fetchData(DATASET_OF.cnaf)).status).toBe(200);
    const after = (await (
      await fetch(`${gw.url}/api/v1/providers/status`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { providers: Array<{ id: string; state: string }> };
    expect(after.providers.find((p) => p.id === 'cnaf')?.state).toBe('closed');
  });

  it('has exactly one call intent and one outcome event for every attempt so far, with the outcome the client got', async () => {
    expect(sent.size).toBeGreaterThan(20);
    const rows = await gw.prisma.auditEvent.findMany({
      where: { requestId: { in: [...sent.keys()] } },
      orderBy: { seq: 'asc' },
    });
    const byRequest = new Map<string, typeof rows>();
    for (const row of rows)
      byRequest.set(row.requestId!, [...(byRequest.get(row.requestId!) ?? []), row]);
    for (const [requestId, status] of sent) {
      const events = byRequest.get(requestId) ?? [];
      // The intent is written before the call, the outcome after it.
      expect({ requestId, kinds: events.map((e) => e.kind) }).toEqual({
        requestId,
        kinds: ['provider.call', status === 200 ? 'exchange.fetch' : 'exchange.fetch_failed'],
      });
      expect(events[1].httpStatus).toBe(status);
    }
    expect((await gw.app.get(AuditService).callsWithoutOutcome()).count).toBe(0);
  });

  it('serves a few hundred fetches in parallel: all 200, one audit event each, the chain verifies', async () => {
    const PER_DATASET = 80;
    const before = await gw.prisma.auditEvent.count({
      where: { kind: 'exchange.fetch', consentId },
    });
    const all = await Promise.all(
      ALL_DATASETS.flatMap((datasetId) =>
        Array.from({ length: PER_DATASET }, () => fetchData(datasetId)),
      ),
    );
    const statuses = new Map<string, number>();
    for (const res of all) {
      const key = res.status === 200 ? '200' : `${res.status} ${res.body.code}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ '200': ALL_DATASETS.length * PER_DATASET });

    const ids = all.map((r) => r.requestId);
    const rows = await gw.prisma.auditEvent.findMany({
      where: { requestId: { in: ids }, kind: { not: 'provider.call' } },
      select: { requestId: true, kind: true, payloadDigest: true },
    });
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(ids.length);
    expect(
      rows.every(
        (r) => r.kind === 'exchange.fetch' && /^hmac-sha256:[0-9a-f]{64}$/.test(r.payloadDigest!),
      ),
    ).toBe(true);
    expect(await gw.prisma.auditEvent.count({ where: { kind: 'exchange.fetch', consentId } })).toBe(
      before + ids.length,
    );
    const budget = await gw.prisma.consentBudget.findUniqueOrThrow({ where: { consentId } });
    expect(budget.fetchCount).toBe(before + ids.length);

    const written = await gw.prisma.auditEvent.count();
    const verify = await operatorApi(gw).post(`${ADMIN}/audit/verify`);
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
    // Every row so far (the operator's own call may be audited before the check runs).
    expect(verify.body.checked).toBeGreaterThanOrEqual(written);
  });
});
