/**
 * The consented fetch end to end: a requesting service asks, angela approves through the real
 * pages (FranceConnect sandbox, consent page, CSRF-protected form), the service fetches each
 * dataset from the real demo providers (which verify the gateway's signed assertion against
 * its JWKS), and the citizen sees the accesses at /me. Then every refusal the endpoint owes:
 * budget, interval, revocation, cross-client, scope, habilitation, suspension, expiry, unknown
 * citizen, and "no audit, no data" with a real failing audit insert.
 *
 * Over ~350 lines on purpose: one file is one stack (gateway, sandboxes, database) started once
 * for all its cases; split, each part would start its own.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CookieJar, request as browse } from '../sandbox/franceconnect/browser.js';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import { DEMO_CATALOG, type DemoDatasetEntry } from '../sandbox/providers/catalog.js';
import {
  startDemoProviders,
  type DemoProviders,
  type ProviderId,
} from '../sandbox/providers/server.js';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { AuditService } from '../src/audit/audit.service.js';
import { keyedPayloadDigest } from '../src/audit/payload-digest.js';
import { eventLeafHash, toLeafEvent } from '../src/audit/audit-leaf.js';
import { clientToken } from './support/clients.js';
import { ANGELA_QUOTIENT } from './support/demo-values.js';
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
import type { TestGateway } from './support/gateway.js';
import {
  ADMIN,
  operatorApi,
  seedClient,
  seedDemoRegistry,
  seedHabilitation,
  type HabilitationInput,
} from './support/operator.js';

const PROBLEM = 'application/problem+json';
const ALL_DATASETS = DEMO_CATALOG.datasets.map((d) => d.id);
const CNAF = 'cnaf.quotient_familial';
const DGFIP = 'dgfip.avis_imposition';
const PURPOSE = 'Calcul du tarif de la cantine scolaire';

/** Values that exist only in the providers' answers for angela: none may be stored anywhere. */
const PAYLOAD_NEEDLES: Array<{ what: string; pattern: string }> = [
  { what: 'CNAF quotient familial amount', pattern: '"valeur": ?1186[,}]' },
  { what: 'CNAF address line', pattern: '14 RUE CLER' },
  { what: 'France Travail identifier', pattern: '0615243D' },
  { what: 'DGFiP reference income', pattern: '"revenu_fiscal_reference": ?52390[,}]' },
];

interface ServiceClient {
  clientId: string;
  token: string;
  /** A token with the client's whole scope (the same as `token` unless a scope was asked). */
  fullToken: string;
  redirectUri: string;
  habilitationId: string;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const dataPath = (consentId: string, datasetId: string) =>
  `/api/v1/consents/${consentId}/data/${datasetId}`;

function catalogEntry(id: string): DemoDatasetEntry {
  const d = DEMO_CATALOG.datasets.find((x) => x.id === id);
  if (!d) throw new Error(id);
  return d;
}

/** Keeps the declared dotted paths of `value` (a path through an array applies to each item). */
function reduceToFields(value: unknown, fields: Record<string, string>): unknown {
  const out: Record<string, unknown> = {};
  for (const path of Object.keys(fields)) copyPath(value, out, path.split('.'));
  return out;
}

function copyPath(from: unknown, to: Record<string, unknown>, parts: string[]): void {
  if (from === null || typeof from !== 'object' || Array.isArray(from)) return;
  const [head, ...rest] = parts;
  if (!(head in from)) return;
  const v = (from as Record<string, unknown>)[head];
  if (rest.length === 0 || v === null || typeof v !== 'object') {
    to[head] = v;
    return;
  }
  to[head] ??= {};
  copyPath(v, to[head] as Record<string, unknown>, rest);
}

describe('consented fetch: GET /api/v1/consents/{id}/data/{datasetId}', () => {
  let env: GatewayWithFranceConnect;
  let gw: TestGateway;
  let providers: DemoProviders;
  let main: ServiceClient;
  let clientName: string;

  async function get(token: string | null, path: string): Promise<Answer> {
    const res = await fetch(`${gw.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, text, body };
  }

  /** A requesting service with its own habilitation and a token. */
  async function serviceClient(
    habilitation: Partial<HabilitationInput> = {},
    scope?: string,
  ): Promise<ServiceClient> {
    const redirectUri = `${gw.url}/test-callback`;
    const seeded = await seedClient(gw, {
      clientId: `svc-${randomBytes(5).toString('hex')}`,
      redirectUris: [redirectUri],
    });
    const hab = await seedHabilitation(gw, {
      clientId: seeded.clientId,
      datasets: ALL_DATASETS,
      allowPeriodic: true,
      minFetchIntervalSeconds: 0,
      ...habilitation,
    });
    const credentials = {
      id: seeded.id,
      clientId: seeded.clientId,
      clientSecret: seeded.clientSecret!,
      authMethod: 'client_secret_basic' as const,
    };
    const token = await clientToken(gw, credentials, scope);
    const fullToken = scope === undefined ? token : await clientToken(gw, credentials);
    return {
      clientId: seeded.clientId,
      token,
      fullToken,
      redirectUri,
      habilitationId: hab.id as string,
    };
  }

  /** The client asks, `login` approves in the browser; returns the consent id and the session. */
  async function approved(
    c: ServiceClient,
    login: string,
    body: { datasets?: string[]; fetchMode?: 'once' | 'periodic' } = {},
  ): Promise<{ consentId: string; jar: CookieJar }> {
    const created = await createConsentRequest(gw, c.token, {
      datasets: [CNAF],
      purpose: PURPOSE,
      durationDays: 30,
      redirectUri: c.redirectUri,
      state: randomBytes(8).toString('hex'),
      ...body,
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
    const { decision, jar } = await approveAsCitizen(created.body.consentUrl, login, c.redirectUri);
    expect(new URL(decision.location!).searchParams.get('status')).toBe('approved');
    const status = await clientGet(gw, c.token, `${CONSENT_REQUESTS}/${created.body.id}`);
    return { consentId: status.body.consentId as string, jar };
  }

  /** What the provider answers for `login` when called directly (no gateway in between). */
  async function direct(datasetId: string, login: string): Promise<unknown> {
    const d = catalogEntry(datasetId);
    const citizen = TEST_CITIZENS.find((x) => x.login === login)!;
    const target = providers.providers[d.providerId as ProviderId];
    const url = new URL(target.url + d.path);
    for (const [claim, param] of Object.entries(d.identityParams)) {
      url.searchParams.set(param, citizen[claim as keyof typeof citizen] ?? '');
    }
    const headers: Record<string, string> = {};
    const auth = target.auth;
    if (auth.kind === 'api_key') headers[auth.headerName] = auth.secret;
    if (auth.kind === 'bearer') headers.authorization = `Bearer ${auth.token}`;
    if (auth.kind === 'oauth2_client_credentials') {
      const res = await fetch(auth.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: auth.clientId,
          client_secret: auth.clientSecret,
        }),
      });
      headers.authorization = `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
    }
    // The providers demand the gateway's assertion: a direct call is made without that check.
    const jwks = `${gw.url}/.well-known/jwks.json`;
    providers.setGatewayJwksUrl(null);
    try {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      return await res.json();
    } finally {
      providers.setGatewayJwksUrl(jwks, gw.config.publicUrl);
    }
  }

  function auditRows(where: Record<string, unknown>) {
    return gw.prisma.auditEvent.findMany({ where, orderBy: { seq: 'asc' } });
  }

  beforeAll(async () => {
    env = await startGatewayWithFranceConnect({ RATE_LIMIT_PER_MINUTE: '100000' });
    gw = env.gateway;
    providers = await startDemoProviders({
      gatewayJwksUrl: `${gw.url}/.well-known/jwks.json`,
      gatewayIssuer: gw.config.publicUrl,
    });
    const registry = await seedDemoRegistry(gw, providers, {
      client: { redirectUris: [`${gw.url}/test-callback`] },
      habilitation: { allowPeriodic: true, minFetchIntervalSeconds: 0 },
    });
    clientName = registry.client.name as string;
    const token = await clientToken(gw, {
      id: registry.client.id,
      clientId: registry.client.clientId,
      clientSecret: registry.client.clientSecret!,
      authMethod: 'client_secret_basic',
    });
    main = {
      clientId: registry.client.clientId,
      redirectUri: `${gw.url}/test-callback`,
      habilitationId: registry.habilitation.id,
      token,
      fullToken: token,
    };
  });

  afterAll(async () => {
    await providers?.close();
    await env?.close();
  });

  it('journey: angela consents to four datasets; the client gets exactly each provider’s record, audited by digest only; angela sees the accesses', async () => {
    const { consentId, jar } = await approved(main, 'angela', { datasets: ALL_DATASETS });
    const callsBefore = Object.fromEntries(
      (['cnaf', 'france_travail', 'mesr', 'dgfip'] as ProviderId[]).map((p) => [
        p,
        providers.calls(p),
      ]),
    );

    const served = new Map<
      string,
      { data: unknown; requestId: string; auditEventId: string; auditLeafHash: string }
    >();
    for (const datasetId of ALL_DATASETS) {
      const res = await get(main.token, dataPath(consentId, datasetId));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      // No digest of the citizen's data in a header (Express's default ETag is a plain SHA-1).
      expect(res.headers.get('etag')).toBeNull();
      expect(res.headers.get('content-type')).toContain('application/json');
      const { data, provenance } = res.body;
      expect(Object.keys(res.body).sort()).toEqual(['data', 'provenance']);
      const entry = catalogEntry(datasetId);
      expect(provenance).toEqual({
        provider: entry.providerId,
        dataset: datasetId,
        fetchedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        consentId,
        requestId: res.headers.get('x-request-id'),
        // The transparency log's leaf of this access (issue 11).
        auditEventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        auditLeafHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(Math.abs(Date.parse(provenance.fetchedAt) - Date.now())).toBeLessThan(60_000);
      // Exactly what the provider holds for angela, reduced to the fields she was shown.
      expect(data).toEqual(reduceToFields(await direct(datasetId, 'angela'), entry.fields));
      served.set(datasetId, {
        data,
        requestId: provenance.requestId,
        auditEventId: provenance.auditEventId,
        auditLeafHash: provenance.auditLeafHash,
      });
    }
    // Each provider was called once per fetch (and accepted the gateway's signed assertion).
    for (const d of DEMO_CATALOG.datasets) {
      // +1 per gateway fetch, +1 for the test's direct call.
      expect(providers.calls(d.providerId) - callsBefore[d.providerId]).toBe(2);
    }

    // One audit event per fetch, with the digest of exactly what was served.
    const rows = await auditRows({ kind: 'exchange.fetch', consentId });
    expect(rows).toHaveLength(ALL_DATASETS.length);
    const citizen = rows[0].citizenId;
    expect(citizen).toMatch(/^[0-9a-f-]{36}$/);
    for (const row of rows) {
      const s = served.get(row.datasetId!)!;
      expect(row).toMatchObject({
        actor: `client:${main.clientId}`,
        clientId: main.clientId,
        citizenId: citizen,
        consentId,
        outcome: 'ok',
        httpStatus: 200,
        requestId: s.requestId,
        // Keyed (issue 11): HMAC-SHA-256 under a key derived from MASTER_KEY.
        payloadDigest: keyedPayloadDigest(gw.config.masterKey, s.data),
      });
      // The provenance names this very row, and its leaf hash as the transparency log computes it.
      expect(row.id).toBe(s.auditEventId);
      expect(eventLeafHash(toLeafEvent(row)).toString('hex')).toBe(s.auditLeafHash);
      expect(row.payloadDigest).not.toContain(
        createHash('sha256').update(canonicalJson(s.data)).digest('hex'),
      );
      expect(row.details).toMatchObject({
        purpose: PURPOSE,
        provider: catalogEntry(row.datasetId!).providerId,
      });
    }

    // No payload anywhere in the database: every text and JSON column of every table.
    const columns = await gw.prisma.$queryRawUnsafe<Array<{ table: string; column: string }>>(
      `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
       WHERE table_schema = 'public'
         AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'bytea')`,
    );
    expect(columns.length).toBeGreaterThan(20);
    for (const { table, column } of columns) {
      for (const needle of PAYLOAD_NEEDLES) {
        const hits = await gw.prisma.$queryRawUnsafe<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM "${table}" WHERE "${column}"::text ~ $1`,
          needle.pattern,
        );
        expect({ table, column, needle: needle.what, hits: hits[0].n }).toEqual({
          table,
          column,
          needle: needle.what,
          hits: 0,
        });
      }
    }

    // angela sees who read what, when, why, and the outcome.
    const accesses = await browse(jar, `${gw.url}/api/v1/me/accesses`);
    expect(accesses.status).toBe(200);
    const items = (JSON.parse(accesses.body) as { items: Array<Record<string, unknown>> }).items;
    const fetches = items.filter((i) => i.kind === 'fetch');
    expect(fetches.map((i) => i.datasetId).sort()).toEqual([...ALL_DATASETS].sort());
    for (const item of fetches) {
      expect(item).toMatchObject({
        clientId: main.clientId,
        serviceName: clientName,
        purpose: PURPOSE,
        outcome: 'transmitted',
      });
    }
    const me = await browse(jar, `${gw.url}/me`);
    expect(me.status).toBe(200);
    expect(me.body).toContain('data-access-log');
    for (const d of DEMO_CATALOG.datasets) {
      expect(me.body).toContain(d.title.replace(/&/g, '&amp;'));
    }
  });

  it('once: a dataset is served once; the second fetch is 403 fetch_budget_exhausted, audited', async () => {
    const { consentId } = await approved(main, 'angela', { datasets: [CNAF, DGFIP] });
    expect((await get(main.token, dataPath(consentId, CNAF))).status).toBe(200);
    const again = await get(main.token, dataPath(consentId, CNAF));
    expect(again.status).toBe(403);
    expect(again.headers.get('content-type')).toContain(PROBLEM);
    expect(again.body).toMatchObject({ code: 'fetch_budget_exhausted', status: 403 });
    expect(again.text).not.toMatch(ANGELA_QUOTIENT);
    // The other dataset of the same consent is still available, once.
    expect((await get(main.token, dataPath(consentId, DGFIP))).status).toBe(200);
    expect((await get(main.token, dataPath(consentId, DGFIP))).body.code).toBe(
      'fetch_budget_exhausted',
    );
    const refused = await auditRows({ kind: 'exchange.fetch_refused', consentId });
    expect(refused.map((r) => [r.datasetId, r.outcome, r.httpStatus])).toEqual([
      [CNAF, 'fetch_budget_exhausted', 403],
      [DGFIP, 'fetch_budget_exhausted', 403],
    ]);
    expect(refused[0].citizenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused[0].requestId).toBe(again.headers.get('x-request-id'));
  });

  it('periodic: as often as wanted with no minimum interval; with one, 403 fetch_too_soon until it has elapsed', async () => {
    const free = await approved(main, 'angela', { fetchMode: 'periodic' });
    for (let i = 0; i < 3; i++) {
      expect((await get(main.token, dataPath(free.consentId, CNAF))).status).toBe(200);
    }
    expect(await auditRows({ kind: 'exchange.fetch', consentId: free.consentId })).toHaveLength(3);

    const hourly = await serviceClient({ datasets: [CNAF], minFetchIntervalSeconds: 3600 });
    const { consentId } = await approved(hourly, 'angela', { fetchMode: 'periodic' });
    expect((await get(hourly.token, dataPath(consentId, CNAF))).status).toBe(200);
    const soon = await get(hourly.token, dataPath(consentId, CNAF));
    expect(soon.status).toBe(403);
    expect(soon.body.code).toBe('fetch_too_soon');
    const retryAfter = Number(soon.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // An hour later (the last fetch moved back in the database): served again.
    await gw.prisma.$executeRaw`
      UPDATE consent_budget
      SET last_fetches = jsonb_build_object(${CNAF}::text, '2000-01-01T00:00:00.000Z'::text)
      WHERE consent_id = ${consentId}::uuid`;
    expect((await get(hourly.token, dataPath(consentId, CNAF))).status).toBe(200);
    expect((await get(hourly.token, dataPath(consentId, CNAF))).body.code).toBe('fetch_too_soon');
  });

  it('revocation by the citizen: the very next fetch is 403 consent_revoked', async () => {
    const { consentId, jar } = await approved(main, 'angela', { fetchMode: 'periodic' });
    expect((await get(main.token, dataPath(consentId, CNAF))).status).toBe(200);
    const me = await browse(jar, `${gw.url}/me`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(me.body)![1].replace(/&amp;/g, '&');
    const revoked = await browse(jar, `${gw.url}/me/consents/${consentId}/revoke`, {
      body: new URLSearchParams({ csrf }),
    });
    expect(revoked.status).toBe(303);
    const answeredAt = performance.now();
    const next = await get(main.token, dataPath(consentId, CNAF));
    const delay = performance.now() - answeredAt;
    console.log(
      `revocation: next fetch refused ${delay.toFixed(1)} ms after the revocation's answer`,
    );
    expect(next.status).toBe(403);
    expect(next.body.code).toBe('consent_revoked');
    // The identity key is gone: nothing could be fetched under it any more anyway.
    const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
    expect(row.wrappedKey).toBeNull();
    const refused = await auditRows({ kind: 'exchange.fetch_refused', consentId });
    expect(refused.map((r) => r.outcome)).toEqual(['consent_revoked']);
    // In angela's access log, in words.
    const log = JSON.parse((await browse(jar, `${gw.url}/api/v1/me/accesses`)).body) as {
      items: Array<Record<string, unknown>>;
    };
    expect(log.items.find((i) => i.code === 'consent_revoked')).toMatchObject({
      outcome: 'refused',
      datasetId: CNAF,
    });
  });

  it('another client’s token on this consent: 404 consent_not_found, like an unknown id, and nothing in the citizen’s records', async () => {
    const { consentId, jar } = await approved(main, 'angela');
    const intruder = await serviceClient();
    const theirs = await get(intruder.token, dataPath(consentId, CNAF));
    const unknown = await get(intruder.token, dataPath(randomUUID(), CNAF));
    for (const res of [theirs, unknown]) {
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(theirs.body)).toEqual(strip(unknown.body));
    expect(theirs.body.code).toBe('consent_not_found');
    // Audited as the intruder's attempt, linked to no citizen and no consent.
    const attempt = await auditRows({
      kind: 'exchange.fetch_refused',
      clientId: intruder.clientId,
    });
    expect(attempt).toHaveLength(2);
    expect(attempt[0]).toMatchObject({
      outcome: 'consent_not_found',
      httpStatus: 404,
      citizenId: null,
      consentId: null,
      details: { code: 'consent_not_found', attemptedConsentId: consentId },
    });
    expect(await auditRows({ consentId })).not.toContainEqual(
      expect.objectContaining({ clientId: intruder.clientId }),
    );
    const log = JSON.parse((await browse(jar, `${gw.url}/api/v1/me/accesses`)).body) as {
      items: Array<Record<string, unknown>>;
    };
    expect(log.items.filter((i) => i.clientId === intruder.clientId)).toEqual([]);
    // The owner still can.
    expect((await get(main.token, dataPath(consentId, CNAF))).status).toBe(200);
  });

  it('refuses a dataset the consent does not cover (403), outside the token’s scope (403), malformed ids (404) and no token (401)', async () => {
    const { consentId } = await approved(main, 'angela');
    const notCovered = await get(main.token, dataPath(consentId, DGFIP));
    expect(notCovered.status).toBe(403);
    expect(notCovered.body.code).toBe('dataset_not_in_consent');
    // A dataset nobody registered: "not found", not "outside your scope".
    const unknownDataset = await get(main.token, dataPath(consentId, 'cnaf.nothing_here'));
    expect(unknownDataset.status).toBe(404);
    expect(unknownDataset.body.code).toBe('dataset_not_found');

    // A token narrowed to another dataset at issuance, on the client's own consent.
    const narrow = await serviceClient({}, DGFIP);
    // Asked with the full token: the narrowed one may not even ask for CNAF (403
    // insufficient_scope, test/security/authorization.e2e-spec.ts).
    const own = await approved({ ...narrow, token: narrow.fullToken }, 'angela');
    const scoped = await get(narrow.token, dataPath(own.consentId, CNAF));
    expect(scoped.status).toBe(403);
    expect(scoped.body.code).toBe('insufficient_scope');
    expect(scoped.headers.get('www-authenticate')).toContain('error="insufficient_scope"');

    for (const path of [
      dataPath('not-a-uuid', CNAF),
      dataPath(`${consentId}'--`, CNAF),
      dataPath(consentId, "cnaf.quotient_familial' OR '1'='1"),
      dataPath(consentId, 'CNAF.QUOTIENT'),
      dataPath(consentId, '..%2F..%2Fadmin'),
      dataPath(consentId, `cnaf.${'x'.repeat(300)}`),
    ]) {
      const res = await get(main.token, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get('content-type')).toContain(PROBLEM);
    }
    expect((await get(null, dataPath(consentId, CNAF))).status).toBe(401);
    expect((await get('not.a.jwt', dataPath(consentId, CNAF))).status).toBe(401);
    // None of it spent the consent.
    expect((await get(main.token, dataPath(consentId, CNAF))).status).toBe(200);
  });

  it('habilitation revoked by the operator: 403 habilitation_inactive', async () => {
    const c = await serviceClient();
    const { consentId } = await approved(c, 'angela', { fetchMode: 'periodic' });
    expect((await get(c.token, dataPath(consentId, CNAF))).status).toBe(200);
    const res = await operatorApi(gw).patch(`${ADMIN}/habilitations/${c.habilitationId}`, {
      status: 'revoked',
    });
    expect(res.status).toBe(200);
    const refused = await get(c.token, dataPath(consentId, CNAF));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('habilitation_inactive');
  });

  it('client suspended by the operator: 401 at once, with the token it already had', async () => {
    const c = await serviceClient();
    const { consentId } = await approved(c, 'angela', { fetchMode: 'periodic' });
    expect((await get(c.token, dataPath(consentId, CNAF))).status).toBe(200);
    const res = await operatorApi(gw).patch(`${ADMIN}/clients/${c.clientId}`, {
      status: 'suspended',
    });
    expect(res.status).toBe(200);
    const refused = await get(c.token, dataPath(consentId, CNAF));
    expect(refused.status).toBe(401);
    expect(refused.text).not.toMatch(ANGELA_QUOTIENT);
  });

  it('expired consent (its end moved into the past): 403 consent_expired, and its identity key destroyed', async () => {
    const { consentId } = await approved(main, 'angela', { fetchMode: 'periodic' });
    await gw.prisma.$executeRaw`
      UPDATE consent SET expires_at = '2001-01-01 00:00:00' WHERE id = ${consentId}::uuid`;
    const res = await get(main.token, dataPath(consentId, CNAF));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('consent_expired');
    const row = await gw.prisma.consent.findUniqueOrThrow({ where: { id: consentId } });
    expect(row.status).toBe('expired');
    expect(row.wrappedKey).toBeNull();
    expect((await get(main.token, dataPath(consentId, CNAF))).body.code).toBe('consent_expired');
  });

  it('a citizen the provider does not know: 404 citizen_unknown_to_provider with the provider’s message; the consent is not spent', async () => {
    const { consentId } = await approved(main, 'pierre');
    const before = providers.calls('cnaf');
    const res = await get(main.token, dataPath(consentId, CNAF));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      code: 'citizen_unknown_to_provider',
      title: 'Citizen unknown to the provider',
      detail: expect.stringMatching(/^The provider has no record of this citizen/),
      providerMessage: 'Aucun dossier allocataire ne correspond à cette identité.',
    });
    // The `once` consent was given back: the next try reaches the provider again.
    const again = await get(main.token, dataPath(consentId, CNAF));
    expect(again.body.code).toBe('citizen_unknown_to_provider');
    expect(providers.calls('cnaf') - before).toBe(2);
    const failed = await auditRows({ kind: 'exchange.fetch_failed', consentId });
    expect(failed.map((r) => [r.outcome, r.httpStatus])).toEqual([
      ['citizen_unknown_to_provider', 404],
      ['citizen_unknown_to_provider', 404],
    ]);
    expect(failed[0].payloadDigest).toBeNull();
  });

  it('no audit, no data: when the audit insert fails, 503 audit_unavailable, nothing of the data, budget given back', async () => {
    // A `once` consent: the gateway's own failure must not spend it.
    const { consentId } = await approved(main, 'angela', { fetchMode: 'once' });
    // A real failure of the audit write, in this test's own database: fetch events are refused.
    await gw.prisma.$executeRawUnsafe(`
      CREATE FUNCTION test_refuse_fetch_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'exchange.fetch' THEN RAISE EXCEPTION 'audit storage unavailable (test)'; END IF;
        RETURN NEW;
      END $$`);
    await gw.prisma.$executeRawUnsafe(
      `CREATE TRIGGER test_refuse_fetch_audit BEFORE INSERT ON audit_event
       FOR EACH ROW EXECUTE FUNCTION test_refuse_fetch_audit()`,
    );
    let res: Answer;
    try {
      res = await get(main.token, dataPath(consentId, CNAF));
    } finally {
      await gw.prisma.$executeRawUnsafe('DROP TRIGGER test_refuse_fetch_audit ON audit_event');
      await gw.prisma.$executeRawUnsafe('DROP FUNCTION test_refuse_fetch_audit()');
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain(PROBLEM);
    expect(res.body.code).toBe('audit_unavailable');
    expect(res.text).not.toMatch(ANGELA_QUOTIENT);
    for (const needle of ['RUE CLER', 'DUBOIS', 'quotient_familial"', 'allocataires']) {
      expect(res.text).not.toContain(needle);
    }
    expect(await auditRows({ kind: 'exchange.fetch', consentId })).toHaveLength(0);
    // The failure itself is on record (that event kind was not blocked; written without waiting).
    let failed: Awaited<ReturnType<typeof auditRows>> = [];
    for (let i = 0; i < 50 && failed.length === 0; i++) {
      failed = await auditRows({ kind: 'exchange.fetch_failed', consentId });
      if (failed.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(failed.map((r) => [r.outcome, r.httpStatus])).toEqual([['audit_unavailable', 503]]);

    // The call intent, written before the provider was called, has that outcome.
    const intents = await auditRows({ kind: 'provider.call', consentId });
    expect(intents.map((r) => r.requestId)).toEqual([failed[0].requestId]);

    // Once the log is back, the same `once` consent is served (its budget was given back), and
    // only then spent; the chain is intact and every provider call has its outcome.
    expect((await get(main.token, dataPath(consentId, CNAF))).status).toBe(200);
    expect((await get(main.token, dataPath(consentId, CNAF))).body.code).toBe(
      'fetch_budget_exhausted',
    );
    const verify = await operatorApi(gw).post(`${ADMIN}/audit/verify`);
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
    expect((await gw.app.get(AuditService).callsWithoutOutcome()).count).toBe(0);
  });

  it('is documented in the OpenAPI document: client security, response schema, problems', async () => {
    const doc = (await get(null, '/docs-json')).body;
    const op = doc.paths['/api/v1/consents/{id}/data/{datasetId}'].get;
    expect(op.security).toEqual([{ client: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(
      ['200', '401', '403', '404', '502', '503', '504'].sort(),
    );
    expect(op.responses['200'].content['application/json'].schema.$ref).toContain(
      'ConsentedFetchResponseDto',
    );
    const schema = doc.components.schemas.ConsentedFetchProvenanceDto;
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        'consentId',
        'dataset',
        'fetchedAt',
        'provider',
        'requestId',
        'auditEventId',
        'auditLeafHash',
      ].sort(),
    );
  });
});
