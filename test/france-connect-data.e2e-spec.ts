/**
 * The API FranceConnectée end to end: a third-party OpenID Connect client (openid-client) logs a
 * test citizen in at the FranceConnect sandbox as a registered service provider with data
 * scopes, then calls `GET /api/v1/france-connect/data/{datasetId}` with the access token.
 * Passerelle checks it at the sandbox's real `POST /api/v2/checktoken` (RFC 9701 JWT), calls the
 * real demo providers and writes the audit log in real PostgreSQL; the citizen then sees the
 * access at /me. Forged answers and FranceConnect faults are the sandbox's, over HTTP.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import request from 'supertest';
import { CookieJar, loginThroughSandbox } from '../sandbox/franceconnect/browser.js';
import {
  startFranceConnectSandbox,
  type FranceConnectFault,
  type FranceConnectSandbox,
} from '../sandbox/franceconnect/server.js';
import { startDemoProviders, type DemoProviders } from '../sandbox/providers/server.js';
import { eventLeafHash, toLeafEvent } from '../src/audit/audit-leaf.js';
import { AuditService } from '../src/audit/audit.service.js';
import { keyedPayloadDigest } from '../src/audit/payload-digest.js';
import { gatewayClient, franceConnectEnv } from './support/franceconnect.js';
import { freePort, startGateway, type TestGateway } from './support/gateway.js';
import {
  ADMIN,
  operatorApi,
  seedDemoRegistry,
  seedClient,
  type DemoRegistry,
} from './support/operator.js';

const DATA = '/api/v1/france-connect/data';
const FS_ID = 'demo-service-fc';
const FS_SECRET = randomBytes(24).toString('base64url');
const FS_REDIRECT = 'http://127.0.0.1:9/fc-callback';
const OTHER_FS_ID = 'unregistered-service-fc';
const DP_ID = 'passerelle-data-provider-test';
const DP_SECRET = randomBytes(24).toString('base64url');
const SCOPES: Record<string, string> = {
  'cnaf.quotient_familial': 'cnaf_quotient_familial',
  'france_travail.statut': 'france_travail_statut',
  'mesr.statut_etudiant': 'mesr_statut_etudiant',
  'dgfip.avis_imposition': 'dgfip_avis_imposition',
};
const IDENTITY = 'openid identite_pivot';

interface Login {
  accessToken: string;
  expiresIn: number;
}

/** A service provider registered at a sandbox, driven by openid-client. */
async function serviceLogin(
  fc: FranceConnectSandbox,
  citizen: string,
  scope: string,
  clientId = FS_ID,
): Promise<Login> {
  const config = await oidc.discovery(
    new URL(fc.issuer),
    clientId,
    { client_secret: FS_SECRET, id_token_signed_response_alg: 'ES256' },
    oidc.ClientSecretPost(FS_SECRET),
    { execute: [oidc.allowInsecureRequests] },
  );
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: FS_REDIRECT,
    scope,
    state,
    nonce,
    acr_values: 'eidas1',
  });
  const landed = await loginThroughSandbox(url.href, citizen, new CookieJar(), {
    stopAt: FS_REDIRECT,
  });
  const location = landed.headers.get('location');
  if (!location?.startsWith(FS_REDIRECT)) {
    throw new Error(`login did not come back to the service: ${landed.status} ${landed.url}`);
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
    expectedState: state,
    expectedNonce: nonce,
  });
  return { accessToken: tokens.access_token, expiresIn: tokens.expires_in ?? 60 };
}

describe('API FranceConnectée (GET /api/v1/france-connect/data/{datasetId})', () => {
  let providers: DemoProviders;
  let fc: FranceConnectSandbox;
  let otherFc: FranceConnectSandbox;
  let gw: TestGateway;
  let registry: DemoRegistry;
  let gatewaySecret: string;

  const call = (datasetId: string, token?: string) => {
    const req = request(gw.url).get(`${DATA}/${datasetId}`);
    return token ? req.set('Authorization', `Bearer ${token}`) : req;
  };
  /** The outcome events of a request (its call intent, `provider.call`, left aside). */
  const auditOf = (requestId: string) =>
    gw.prisma.auditEvent.findMany({
      where: { requestId, kind: { not: 'provider.call' } },
      orderBy: { seq: 'asc' },
    });
  const kindsOf = async (requestId: string) =>
    (await gw.prisma.auditEvent.findMany({ where: { requestId }, orderBy: { seq: 'asc' } })).map(
      (e) => e.kind,
    );

  beforeAll(async () => {
    providers = await startDemoProviders();
    const port = await freePort();
    gatewaySecret = randomBytes(24).toString('base64url');
    const services = [
      { ...gatewayClient(port, gatewaySecret), entity: 'passerelle' },
      {
        client_id: FS_ID,
        client_secret: FS_SECRET,
        redirect_uris: [FS_REDIRECT],
        post_logout_redirect_uris: [],
      },
      {
        client_id: OTHER_FS_ID,
        client_secret: FS_SECRET,
        redirect_uris: [FS_REDIRECT],
        post_logout_redirect_uris: [],
      },
    ];
    fc = await startFranceConnectSandbox({
      clients: services,
      dataProviders: [{ client_id: DP_ID, client_secret: DP_SECRET, entity: 'passerelle' }],
      logErrors: false,
    });
    // Another FranceConnect (same registrations, other keys and tokens).
    otherFc = await startFranceConnectSandbox({
      clients: services,
      dataProviders: [{ client_id: DP_ID, client_secret: DP_SECRET, entity: 'passerelle' }],
      logErrors: false,
    });
    gw = await startGateway({
      ...franceConnectEnv(fc.issuer, gatewaySecret),
      PORT: String(port),
      FC_DATA_PROVIDER_CLIENT_ID: DP_ID,
      FC_DATA_PROVIDER_CLIENT_SECRET: DP_SECRET,
      FC_CHECKTOKEN_TIMEOUT_MS: '1000',
    });
    providers.setGatewayJwksUrl(`${gw.url}/.well-known/jwks.json`, gw.config.publicUrl);
    // The service is habilitated for three datasets; MESR is not among them.
    registry = await seedDemoRegistry(gw, providers, {
      client: { clientId: 'ville-demo', redirectUris: [`${gw.url}/cb`] },
      habilitation: {
        datasets: ['cnaf.quotient_familial', 'france_travail.statut', 'dgfip.avis_imposition'],
      },
    });
    const op = operatorApi(gw);
    const patched = await op.patch(`${ADMIN}/clients/ville-demo`, {
      franceConnectClientId: FS_ID,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.franceConnectClientId).toBe(FS_ID);
    for (const [id, scope] of Object.entries(SCOPES)) {
      const res = await op.patch(`${ADMIN}/datasets/${id}`, { franceConnectScope: scope });
      expect(res.status).toBe(200);
      expect(res.body.franceConnectScope).toBe(scope);
    }
  });

  afterAll(async () => {
    await gw?.close();
    await otherFc?.close();
    await fc?.close();
    await providers?.close();
  });

  afterEach(() => {
    fc.setFault(null);
    fc.setAccessTokenTtl(null);
  });

  it('serves a granted dataset: 200 with the citizen’s data, audited, shown at /me via FranceConnect', async () => {
    const { accessToken } = await serviceLogin(
      fc,
      'angela',
      `${IDENTITY} cnaf_quotient_familial dgfip_avis_imposition`,
    );
    const res = await call('cnaf.quotient_familial', accessToken);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBeUndefined();
    // Angela's CNAF record in the demo provider (quotient 1186, 14 rue Cler).
    expect(JSON.stringify(res.body.data)).toContain('1186');
    expect(res.body.provenance).toMatchObject({
      provider: 'cnaf',
      dataset: 'cnaf.quotient_familial',
      via: 'franceconnect',
      requestId: res.headers['x-request-id'],
      // The transparency log's leaf of this access (issue 11), as in the consented fetch.
      auditEventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      auditLeafHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The call intent was committed before the provider call, then the outcome (issue 10).
    expect(await kindsOf(res.headers['x-request-id'])).toEqual([
      'provider.call',
      'exchange.france_connect_fetch',
    ]);
    const [event] = await auditOf(res.headers['x-request-id']);
    expect(event.kind).toBe('exchange.france_connect_fetch');
    expect(event.outcome).toBe('ok');
    expect(event.clientId).toBe('ville-demo');
    expect(event.id).toBe(res.body.provenance.auditEventId);
    expect(eventLeafHash(toLeafEvent(event)).toString('hex')).toBe(
      res.body.provenance.auditLeafHash,
    );
    // Keyed (issue 11): HMAC-SHA-256 under a key derived from MASTER_KEY.
    expect(event.payloadDigest).toBe(keyedPayloadDigest(gw.config.masterKey, res.body.data));
    expect(event.citizenId).not.toBeNull();
    expect(event.details).toMatchObject({
      via: 'franceconnect',
      franceConnectClientId: FS_ID,
      scopes: expect.arrayContaining(['cnaf_quotient_familial', 'dgfip_avis_imposition']),
    });

    // The same citizen logs in to Passerelle (another service of the same FranceConnect
    // entity: same pairwise sub) and reads their access log.
    const jar = new CookieJar();
    const me = await loginThroughSandbox(`${gw.url}/auth/login?returnTo=/me`, 'angela', jar);
    expect(me.status).toBe(200);
    const row = /<tr data-access="[^"]+"[^>]*data-via="franceconnect"[\s\S]*?<\/tr>/.exec(me.body);
    expect(row).not.toBeNull();
    expect(row![0]).toContain(registry.client.name as string);
    expect(row![0]).toContain('via FranceConnect');
    expect(row![0]).toContain('cnaf_quotient_familial');
    expect(row![0]).toContain('Quotient familial');

    // And as JSON, for a session-authenticated app.
    const cookie = await jar.getCookieString(gw.url);
    const api = await request(gw.url).get('/api/v1/me/accesses').set('Cookie', cookie);
    expect(api.status).toBe(200);
    const entry = api.body.items.find((i: { id: string }) => i.id === event.id);
    expect(entry).toMatchObject({
      viaFranceConnect: true,
      serviceName: registry.client.name,
      outcome: 'transmitted',
    });
    expect(entry.scopes).toEqual(expect.arrayContaining(['cnaf_quotient_familial']));
  });

  it('refuses a dataset whose scope was not granted (403 insufficient_scope), audited, no data', async () => {
    const { accessToken } = await serviceLogin(fc, 'helene', `${IDENTITY} cnaf_quotient_familial`);
    const res = await call('france_travail.statut', accessToken);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('insufficient_scope');
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.body.data).toBeUndefined();
    const [event] = await auditOf(res.headers['x-request-id']);
    expect(event).toMatchObject({
      kind: 'exchange.france_connect_fetch_refused',
      outcome: 'insufficient_scope',
      httpStatus: 403,
    });
    expect(providers.calls('france_travail')).toBe(0);
    // No provider call, so no call intent.
    expect(await kindsOf(res.headers['x-request-id'])).toEqual([
      'exchange.france_connect_fetch_refused',
    ]);
  });

  it('gives a provider call that fails its outcome after its intent: none is left without one', async () => {
    // Pierre is known to no provider: the call is made (intent first), and answered "unknown".
    const { accessToken } = await serviceLogin(fc, 'pierre', `${IDENTITY} cnaf_quotient_familial`);
    const res = await call('cnaf.quotient_familial', accessToken);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('citizen_unknown_to_provider');
    expect(res.body.data).toBeUndefined();
    expect(await kindsOf(res.headers['x-request-id'])).toEqual([
      'provider.call',
      'exchange.france_connect_fetch_refused',
    ]);
    // Nor does audit:verify count any FranceConnect call of this file as left without outcome.
    expect((await gw.app.get(AuditService).callsWithoutOutcome()).count).toBe(0);
  });

  it('refuses when the token does not give the identity the provider needs (403 insufficient_scope)', async () => {
    const { accessToken } = await serviceLogin(fc, 'angela', 'openid cnaf_quotient_familial');
    providers.resetCalls();
    const res = await call('cnaf.quotient_familial', accessToken);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect(res.body.detail).toContain('identity claims');
    expect(providers.calls('cnaf')).toBe(0);
  });

  it('refuses a granted scope without an active habilitation (403 habilitation_inactive)', async () => {
    const { accessToken } = await serviceLogin(fc, 'lucas', `${IDENTITY} mesr_statut_etudiant`);
    const res = await call('mesr.statut_etudiant', accessToken);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('habilitation_inactive');
  });

  it('refuses a service that FranceConnect knows but Passerelle does not (403 client_not_registered)', async () => {
    const { accessToken } = await serviceLogin(
      fc,
      'angela',
      `${IDENTITY} cnaf_quotient_familial`,
      OTHER_FS_ID,
    );
    const res = await call('cnaf.quotient_familial', accessToken);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('client_not_registered');
    const [event] = await auditOf(res.headers['x-request-id']);
    // Not in anyone's access log: the caller is nobody Passerelle knows.
    expect(event.citizenId).toBeNull();
    expect(event.details).toMatchObject({ franceConnectClientId: OTHER_FS_ID });
  });

  it('refuses a suspended service at once (403 client_suspended)', async () => {
    const { accessToken } = await serviceLogin(fc, 'angela', `${IDENTITY} cnaf_quotient_familial`);
    const op = operatorApi(gw);
    expect((await op.patch(`${ADMIN}/clients/ville-demo`, { status: 'suspended' })).status).toBe(
      200,
    );
    try {
      const res = await call('cnaf.quotient_familial', accessToken);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('client_suspended');
      expect(res.body.data).toBeUndefined();
    } finally {
      await op.patch(`${ADMIN}/clients/ville-demo`, { status: 'active' });
    }
    // The same token is served again once the service is reactivated (its check was cached).
    expect((await call('cnaf.quotient_familial', accessToken)).status).toBe(200);
  });

  it('answers 401 without a token, and for a token of another FranceConnect instance', async () => {
    const none = await call('cnaf.quotient_familial');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('invalid_token');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);

    const { accessToken } = await serviceLogin(
      otherFc,
      'angela',
      `${IDENTITY} cnaf_quotient_familial`,
    );
    const res = await call('cnaf.quotient_familial', accessToken);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.body.data).toBeUndefined();
  });

  it('answers 401 once the token’s life is over, even right after serving it (cache bounded by exp)', async () => {
    fc.setAccessTokenTtl(4);
    const started = Date.now();
    const { accessToken, expiresIn } = await serviceLogin(
      fc,
      'angela',
      `${IDENTITY} cnaf_quotient_familial`,
    );
    expect(expiresIn).toBeLessThanOrEqual(4);
    const first = await call('cnaf.quotient_familial', accessToken);
    expect(first.status).toBe(200);
    // Wait until the token is past its expiry (plus a second for exp's rounding).
    const wait = started + expiresIn * 1000 + 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const later = await call('cnaf.quotient_familial', accessToken);
    expect(later.status).toBe(401);
    expect(later.body.code).toBe('invalid_token');
    expect(later.body.detail).toMatch(/not active|expired/);
    expect(later.body.data).toBeUndefined();
  });

  it.each<[FranceConnectFault, string]>([
    ['checktoken_wrong_key', 'signed with another key'],
    ['checktoken_alg_none', 'alg none'],
    ['checktoken_wrong_audience', 'for another data provider'],
  ])('answers 401 to a forged introspection (%s: %s), audited, no data', async (fault) => {
    const { accessToken } = await serviceLogin(fc, 'karim', `${IDENTITY} dgfip_avis_imposition`);
    fc.setFault(fault);
    const res = await call('dgfip.avis_imposition', accessToken);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.body.detail).toBe('The token introspection could not be verified.');
    expect(res.body.data).toBeUndefined();
    const [event] = await auditOf(res.headers['x-request-id']);
    expect(event).toMatchObject({
      kind: 'exchange.france_connect_fetch_refused',
      outcome: 'invalid_token',
    });
  });

  it.each<[FranceConnectFault, number, string]>([
    ['checktoken_slow', 503, 'france_connect_unavailable'],
    ['checktoken_error', 503, 'france_connect_unavailable'],
    ['checktoken_garbage', 502, 'france_connect_invalid_response'],
  ])('when checktoken is %s: %i %s, no data, audited', async (fault, status, code) => {
    const { accessToken } = await serviceLogin(fc, 'karim', `${IDENTITY} dgfip_avis_imposition`);
    fc.setFault(fault);
    const res = await call('dgfip.avis_imposition', accessToken);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.data).toBeUndefined();
    if (status === 503) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const [event] = await auditOf(res.headers['x-request-id']);
    expect(event).toMatchObject({ kind: 'exchange.france_connect_fetch_failed', outcome: code });
  });

  it('reads encrypted checktoken answers (JWE ECDH-ES to the key Passerelle publishes)', async () => {
    const jwks = await request(gw.url).get('/api/v1/france-connect/jwks');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'enc' });
    expect(jwks.body.keys[0].d).toBeUndefined();
    fc.setDataProviderEncryption(DP_ID, `${gw.url}/api/v1/france-connect/jwks`);
    try {
      const { accessToken } = await serviceLogin(
        fc,
        'camille',
        `${IDENTITY} cnaf_quotient_familial`,
      );
      const res = await call('cnaf.quotient_familial', accessToken);
      expect(res.status).toBe(200);
      expect(res.body.provenance.via).toBe('franceconnect');
    } finally {
      fc.setDataProviderEncryption(DP_ID, null);
    }
  });

  it('checktoken itself refuses wrong data-provider credentials (401 invalid_client)', async () => {
    const { accessToken } = await serviceLogin(fc, 'angela', `${IDENTITY} cnaf_quotient_familial`);
    const wrong = await request(fc.url)
      .post('/api/v2/checktoken')
      .type('form')
      .send({ access_token: accessToken, client_id: DP_ID, client_secret: 'not-the-secret' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const right = await request(fc.url)
      .post('/api/v2/checktoken')
      .type('form')
      .send({ access_token: accessToken, client_id: DP_ID, client_secret: DP_SECRET });
    expect(right.status).toBe(200);
    expect(right.headers['content-type']).toMatch(/^application\/token-introspection\+jwt/);
  });

  it('is in the OpenAPI document', async () => {
    const res = await request(gw.url).get('/docs-json');
    const op = res.body.paths['/api/v1/france-connect/data/{datasetId}']?.get;
    expect(op).toBeDefined();
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '404', '502', '503']),
    );
  });
});

describe('API FranceConnectée without a reachable FranceConnect; registry fields', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // Nothing listens on the discard port of the loopback: connection refused at once.
    gw = await startGateway({ FC_ISSUER: 'http://127.0.0.1:9/api/v2' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 503 france_connect_unavailable with Retry-After when FranceConnect cannot be reached, audited', async () => {
    const res = await request(gw.url)
      .get(`${DATA}/cnaf.quotient_familial`)
      .set('Authorization', `Bearer ${randomBytes(32).toString('base64url')}`);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('france_connect_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.data).toBeUndefined();
    const events = await gw.prisma.auditEvent.findMany({
      where: { requestId: res.headers['x-request-id'] },
    });
    expect(events.map((e) => [e.kind, e.outcome])).toEqual([
      ['exchange.france_connect_fetch_failed', 'france_connect_unavailable'],
    ]);
  });

  it('refuses a FranceConnect client_id registered for another client', async () => {
    await seedClient(gw, { clientId: 'svc-one', franceConnectClientId: 'fc-shared' } as never);
    const res = await operatorApi(gw).post(`${ADMIN}/clients`, {
      clientId: 'svc-two',
      name: 'Autre service',
      siret: '21690123100011',
      contactEmail: 'dpo@example.fr',
      redirectUris: ['https://example.fr/cb'],
      authMethod: 'client_secret_basic',
      franceConnectClientId: 'fc-shared',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('franceConnectClientId');
  });
});
