/**
 * The demo providers as a data provider's client meets them: who each one knows, its
 * authentication, answers checked against the catalog's schemas, the fault modes and latency
 * the resilience tests rely on, and the gateway assertion they verify. Over ~350 lines on
 * purpose: one file is one set of providers started once for all its cases.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';
import { TEST_CITIZENS, type TestCitizen } from '../citizens.js';
import {
  DEMO_CATALOG,
  IDENTITY_QUERY_PARAMS,
  type DemoDatasetEntry,
  type IdentityClaim,
} from './catalog.js';
import {
  ASSERTION_HEADER,
  ERROR_MODE_LEAK_MARKERS,
  PROVIDER_IDS,
  PROVIDER_MODES,
  SANDBOX_TOKEN_HEADER,
  startDemoProviders,
  type DemoProviders,
  type ProviderAuth,
  type ProviderId,
} from './server.js';

/** Headers for the providers that take a static credential (API key or bearer token). */
function credentialsOf(auth: ProviderAuth): Record<string, string> {
  if (auth.kind === 'api_key') return { [auth.headerName]: auth.secret };
  if (auth.kind === 'bearer') return { Authorization: `Bearer ${auth.token}` };
  throw new Error(`no static credential for ${auth.kind}`);
}

/** Who each provider knows (everyone else must be a 404). */
const KNOWN: Record<ProviderId, string[]> = {
  cnaf: ['angela', 'helene', 'camille'],
  france_travail: ['angela', 'helene', 'karim'],
  mesr: ['angela', 'lucas'],
  dgfip: ['angela', 'karim', 'camille'],
};

const citizen = (login: string): TestCitizen => {
  const c = TEST_CITIZENS.find((x) => x.login === login);
  if (!c) throw new Error(login);
  return c;
};

const datasetOf = (id: ProviderId): DemoDatasetEntry => {
  const d = DEMO_CATALOG.datasets.find((x) => x.providerId === id);
  if (!d) throw new Error(id);
  return d;
};

/** The query the gateway sends: each needed claim, as FranceConnect gives it. */
function identityQuery(d: DemoDatasetEntry, c: TestCitizen): Record<string, string> {
  const q: Record<string, string> = {};
  for (const [claim, param] of Object.entries(d.identityParams) as [IdentityClaim, string][]) {
    q[param] = String(c[claim] ?? '');
  }
  return q;
}

function compileBoth(schema: object) {
  const a = new Ajv({ strict: true, allErrors: true }).compile(schema);
  const b = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  return (data: unknown) => {
    const ra = a(data);
    const rb = b(data);
    expect(rb).toBe(ra);
    return { valid: ra, errors: a.errors };
  };
}

async function startJwksServer(jwks: { keys: JWK[] }) {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify(jwks);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('demo data providers', () => {
  let demo: DemoProviders;
  let ftToken: string;

  const url = (id: ProviderId) => demo.providers[id].url;

  async function fetchToken(): Promise<string> {
    const auth = demo.providers.france_travail.auth;
    if (auth.kind !== 'oauth2_client_credentials') throw new Error('auth');
    const res = await request(auth.tokenUrl.replace(/\/oauth\/token$/, ''))
      .post('/oauth/token')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        client_id: auth.clientId,
        client_secret: auth.clientSecret,
      });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  function credentials(id: ProviderId): Record<string, string> {
    const auth = demo.providers[id].auth;
    switch (auth.kind) {
      case 'api_key':
        return { [auth.headerName]: auth.secret };
      case 'bearer':
        return { Authorization: `Bearer ${auth.token}` };
      case 'oauth2_client_credentials':
        return { Authorization: `Bearer ${ftToken}` };
      default:
        return {};
    }
  }

  function get(id: ProviderId, query: Record<string, string>, headers = credentials(id)) {
    let r = request(url(id)).get(datasetOf(id).path).query(query);
    for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
    return r;
  }

  const queryFor = (id: ProviderId, login: string) => identityQuery(datasetOf(id), citizen(login));

  beforeAll(async () => {
    demo = await startDemoProviders({ sandboxToken: 'test-sandbox-token' });
    ftToken = await fetchToken();
  });

  afterAll(async () => {
    await demo.close();
    await demo.close(); // idempotent
  });

  afterEach(() => {
    for (const id of PROVIDER_IDS) demo.setMode(id, 'normal');
  });

  it('runs one server per provider, each on its own port, with the registry auth shapes', () => {
    const ports = PROVIDER_IDS.map((id) => new URL(url(id)).port);
    expect(new Set(ports).size).toBe(4);
    expect(demo.providers.cnaf.auth).toMatchObject({ kind: 'api_key', headerName: 'X-Api-Key' });
    expect(demo.providers.mesr.auth.kind).toBe('api_key');
    expect(demo.providers.dgfip.auth.kind).toBe('bearer');
    expect(demo.providers.france_travail.auth).toMatchObject({
      kind: 'oauth2_client_credentials',
      tokenUrl: `${url('france_travail')}/oauth/token`,
    });
    expect(demo.sandboxToken).toBe('test-sandbox-token');
  });

  describe.each(PROVIDER_IDS)('%s', (id) => {
    const dataset = () => datasetOf(id);

    it.each(TEST_CITIZENS.map((c) => c.login))(
      'answers %s as the coverage table says, and 200s validate the schema',
      async (login) => {
        const res = await get(id, queryFor(id, login));
        const validate = compileBoth(dataset().responseSchema);
        if (KNOWN[id].includes(login)) {
          expect(res.status).toBe(200);
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          const { valid, errors } = validate(res.body);
          expect(errors ?? []).toEqual([]);
          expect(valid).toBe(true);
        } else {
          expect(res.status).toBe(404);
          expect(res.body.errors).toHaveLength(1);
          expect(res.body.errors[0]).toMatchObject({
            code: expect.any(String),
            title: expect.any(String),
            detail: expect.any(String),
          });
        }
      },
    );

    it('400s when a required identity parameter is missing, naming it', async () => {
      for (const param of Object.values(dataset().identityParams)) {
        if (param === IDENTITY_QUERY_PARAMS.birthplace) continue; // see the birthplace tests
        const q = queryFor(id, KNOWN[id][0]);
        delete q[param];
        const res = await get(id, q);
        expect(res.status).toBe(400);
        expect(res.body.errors[0].detail).toContain(param);
      }
    });

    it('400s on an invalid date or a duplicated parameter', async () => {
      const q = { ...queryFor(id, KNOWN[id][0]), dateNaissance: '1962-02-30' };
      expect((await get(id, q)).status).toBe(400);
      const dup = `${new URLSearchParams(queryFor(id, KNOWN[id][0])).toString()}&nomNaissance=X`;
      const res = await request(url(id)).get(`${dataset().path}?${dup}`).set(credentials(id));
      expect(res.status).toBe(400);
    });

    it('401s without credentials and with wrong ones', async () => {
      const q = queryFor(id, KNOWN[id][0]);
      const none = await get(id, q, {});
      expect(none.status).toBe(401);
      expect(none.body.errors[0].code).toEqual(expect.any(String));
      const wrong: Record<string, string> = {};
      for (const k of Object.keys(credentials(id))) {
        wrong[k] = k === 'Authorization' ? 'Bearer nope' : 'nope';
      }
      expect((await get(id, q, wrong)).status).toBe(401);
    });

    it('counts data calls', async () => {
      const before = demo.calls(id);
      await get(id, queryFor(id, 'pierre'));
      await get(id, queryFor(id, KNOWN[id][0]), {});
      expect(demo.calls(id)).toBe(before + 2);
    });

    it('answers 405 to other methods and 404 to unknown routes', async () => {
      const post = await request(url(id)).post(dataset().path).set(credentials(id));
      expect(post.status).toBe(405);
      const unknown = await request(url(id)).get('/v3/nope').set(credentials(id));
      expect(unknown.status).toBe(404);
    });
  });

  describe('identity matching', () => {
    it('ignores case and accents in names and accepts the first given names only', async () => {
      const q = {
        ...queryFor('cnaf', 'helene'),
        nomNaissance: 'lefevre durand',
        prenoms: 'helene',
      };
      const res = await get('cnaf', q);
      expect(res.status).toBe(200);
      expect(res.body.quotient_familial.fournisseur).toBe('MSA');
    });

    it('accepts prenoms[] repeated, like API Particulier', async () => {
      const q = queryFor('dgfip', 'angela');
      delete q.prenoms;
      const qs = `${new URLSearchParams(q).toString()}&prenoms[]=Angela&prenoms[]=Claire`;
      const res = await request(url('dgfip'))
        .get(`${datasetOf('dgfip').path}?${qs}`)
        .set(credentials('dgfip'));
      expect(res.status).toBe(200);
    });

    it('does not match on a wrong birthdate, gender or given name order', async () => {
      const changes: Record<string, string>[] = [
        { dateNaissance: '1962-08-25' },
        { sexe: 'male' },
        { prenoms: 'Claire Angela' },
      ];
      for (const change of changes) {
        const res = await get('cnaf', { ...queryFor('cnaf', 'angela'), ...change });
        expect(res.status).toBe(404);
      }
    });

    it('rejects an unknown gender value', async () => {
      const res = await get('cnaf', { ...queryFor('cnaf', 'angela'), sexe: 'x' });
      expect(res.status).toBe(400);
    });

    it('finds karim (born abroad) with an empty or absent birthplace', async () => {
      const q = queryFor('dgfip', 'karim');
      expect(q.codeCogInseeCommuneNaissance).toBe('');
      expect((await get('dgfip', q)).status).toBe(200);
      delete q.codeCogInseeCommuneNaissance;
      expect((await get('dgfip', q)).status).toBe(200);
    });

    it('requires the birthplace of someone born in France', async () => {
      const q = queryFor('cnaf', 'angela');
      delete q.codeCogInseeCommuneNaissance;
      const res = await get('cnaf', q);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].detail).toContain('codeCogInseeCommuneNaissance');
      expect((await get('cnaf', { ...q, codeCogInseeCommuneNaissance: '' })).status).toBe(400);
    });

    it('gives camille a different household at the CNAF and at the DGFiP', async () => {
      const cnaf = (await get('cnaf', queryFor('cnaf', 'camille'))).body;
      const dgfip = (await get('dgfip', queryFor('dgfip', 'camille'))).body;
      expect(cnaf.allocataires).toHaveLength(1);
      expect(cnaf.enfants).toHaveLength(1);
      expect(dgfip.declarant2).not.toBeNull();
      expect(dgfip.nombre_personnes_a_charge).toBe(2);
      expect(cnaf.adresse.code_postal_ville).not.toContain('MÉRIGNAC');
      expect(dgfip.foyer_fiscal.adresse).toContain('MÉRIGNAC');
    });

    it('echoes a well-formed X-Request-Id', async () => {
      const res = await get('cnaf', queryFor('cnaf', 'angela'), {
        ...credentials('cnaf'),
        'X-Request-Id': 'req-123',
      });
      expect(res.headers['x-request-id']).toBe('req-123');
    });
  });

  describe('France Travail OAuth2 client credentials', () => {
    const auth = () => {
      const a = demo.providers.france_travail.auth;
      if (a.kind !== 'oauth2_client_credentials') throw new Error('auth');
      return a;
    };

    it('issues a bearer with client_secret_post', async () => {
      const before = demo.tokenCalls();
      const res = await request(url('france_travail')).post('/oauth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: auth().clientId,
        client_secret: auth().clientSecret,
      });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect(res.body.access_token).toEqual(expect.any(String));
      expect(demo.tokenCalls()).toBe(before + 1);
      const data = await get('france_travail', queryFor('france_travail', 'karim'), {
        Authorization: `Bearer ${res.body.access_token}`,
      });
      expect(data.status).toBe(200);
    });

    it('issues a bearer with client_secret_basic', async () => {
      const basic = Buffer.from(
        `${encodeURIComponent(auth().clientId)}:${encodeURIComponent(auth().clientSecret)}`,
      ).toString('base64');
      const res = await request(url('france_travail'))
        .post('/oauth/token')
        .set('Authorization', `Basic ${basic}`)
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
    });

    it('refuses a wrong client secret (401 invalid_client) and other grants', async () => {
      const bad = await request(url('france_travail')).post('/oauth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: auth().clientId,
        client_secret: 'wrong',
      });
      expect(bad.status).toBe(401);
      expect(bad.body.error).toBe('invalid_client');
      expect(bad.headers['www-authenticate']).toBeDefined();
      const grant = await request(url('france_travail')).post('/oauth/token').type('form').send({
        grant_type: 'password',
        client_id: auth().clientId,
        client_secret: auth().clientSecret,
      });
      expect(grant.status).toBe(400);
      expect(grant.body.error).toBe('unsupported_grant_type');
    });

    it('refuses the static credentials of another provider and forgotten tokens', async () => {
      const q = queryFor('france_travail', 'karim');
      const res = await get('france_travail', q, {
        Authorization: `Bearer ${auth().clientSecret}`,
      });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Bearer');
      const token = await fetchToken();
      demo.revokeFranceTravailTokens();
      expect((await get('france_travail', q, { Authorization: `Bearer ${token}` })).status).toBe(
        401,
      );
      ftToken = await fetchToken();
    });

    it('expires tokens after expires_in', async () => {
      const short = await startDemoProviders({ franceTravailTokenTtlSeconds: 1 });
      try {
        const a = short.providers.france_travail.auth;
        if (a.kind !== 'oauth2_client_credentials') throw new Error('auth');
        const tok = await request(short.providers.france_travail.url)
          .post('/oauth/token')
          .type('form')
          .send({
            grant_type: 'client_credentials',
            client_id: a.clientId,
            client_secret: a.clientSecret,
          });
        expect(tok.body.expires_in).toBe(1);
        const call = () =>
          request(short.providers.france_travail.url)
            .get(datasetOf('france_travail').path)
            .query(queryFor('france_travail', 'helene'))
            .set('Authorization', `Bearer ${tok.body.access_token}`);
        expect((await call()).status).toBe(200);
        await new Promise((r) => setTimeout(r, 1100));
        expect((await call()).status).toBe(401);
      } finally {
        await short.close();
      }
    });
  });

  describe('modes', () => {
    it('slow: waits delayMs, then answers normally', async () => {
      demo.setMode('cnaf', 'slow', { delayMs: 300 });
      const t0 = Date.now();
      const res = await get('cnaf', queryFor('cnaf', 'angela'));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      expect(res.status).toBe(200);
      expect(res.body.quotient_familial.valeur).toEqual(expect.any(Number));
      expect(demo.getMode('cnaf')).toEqual({ mode: 'slow', delayMs: 300 });
    });

    it('slow: defaults to 5 s', () => {
      demo.setMode('mesr', 'slow');
      expect(demo.getMode('mesr').delayMs).toBe(5000);
    });

    it.each(PROVIDER_IDS)('error: %s answers 500 with internal details', async (id) => {
      demo.setMode(id, 'error');
      const res = await get(id, queryFor(id, KNOWN[id][0]));
      expect(res.status).toBe(500);
      for (const marker of ERROR_MODE_LEAK_MARKERS[id]) expect(res.text).toContain(marker);
      expect(res.text).toContain('\\tat ');
    });

    it.each(PROVIDER_IDS)('unavailable: %s answers 503', async (id) => {
      demo.setMode(id, 'unavailable');
      const res = await get(id, queryFor(id, KNOWN[id][0]));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
    });

    it.each(PROVIDER_IDS)('malformed: %s answers 200 JSON that does not parse', async (id) => {
      demo.setMode(id, 'malformed');
      const res = await request(url(id))
        .get(datasetOf(id).path)
        .query(queryFor(id, KNOWN[id][0]))
        .set(credentials(id))
        .buffer(true)
        .parse((r, cb) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => cb(null, text));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(() => JSON.parse(res.body as string)).toThrow();
    });

    it.each(PROVIDER_IDS)(
      'schema_break: %s answers 200 valid JSON that breaks the schema',
      async (id) => {
        demo.setMode(id, 'schema_break');
        const validate = compileBoth(datasetOf(id).responseSchema);
        for (const login of [KNOWN[id][0], 'pierre']) {
          const res = await get(id, queryFor(id, login));
          expect(res.status).toBe(200);
          const { valid, errors } = validate(res.body);
          expect(valid).toBe(false);
          const kinds = new Set((errors ?? []).map((e) => e.keyword));
          expect(kinds.has('type')).toBe(true);
          expect(kinds.has('required')).toBe(true);
        }
      },
    );

    it('checks credentials before the error modes', async () => {
      demo.setMode('dgfip', 'error');
      expect((await get('dgfip', queryFor('dgfip', 'angela'), {})).status).toBe(401);
    });

    it('is driven over HTTP too, with the sandbox token', async () => {
      const base = url('france_travail');
      const denied = await request(base).post('/__sandbox/mode').send({ mode: 'unavailable' });
      expect(denied.status).toBe(401);
      const wrong = await request(base)
        .post('/__sandbox/mode')
        .set(SANDBOX_TOKEN_HEADER, 'nope')
        .send({ mode: 'unavailable' });
      expect(wrong.status).toBe(401);
      const invalid = await request(base)
        .post('/__sandbox/mode')
        .set(SANDBOX_TOKEN_HEADER, demo.sandboxToken)
        .send({ mode: 'exploded' });
      expect(invalid.status).toBe(400);
      expect(demo.getMode('france_travail').mode).toBe('normal');

      const ok = await request(base)
        .post('/__sandbox/mode')
        .set(SANDBOX_TOKEN_HEADER, demo.sandboxToken)
        .send({ mode: 'slow', delayMs: 50 });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ provider: 'france_travail', mode: 'slow', delayMs: 50 });
      expect(demo.getMode('france_travail')).toEqual({ mode: 'slow', delayMs: 50 });
      const state = await request(base)
        .get('/__sandbox/mode')
        .set(SANDBOX_TOKEN_HEADER, demo.sandboxToken);
      expect(state.body.mode).toBe('slow');
      // Only that provider changed.
      expect(demo.getMode('cnaf').mode).toBe('normal');
    });

    it('knows every mode', () => {
      for (const mode of PROVIDER_MODES) demo.setMode('dgfip', mode);
      expect(() => demo.setMode('dgfip', 'boom' as never)).toThrow();
    });
  });

  describe('latency', () => {
    it('adds a base latency to every answer, globally or per provider', async () => {
      // A latency far beyond the test's own timeout stands for "never answers": no upper time
      // bound is asserted, only which answers arrive and in which order.
      const slow = await startDemoProviders({ latencyMs: 60_000 });
      const call = (id: ProviderId) =>
        request(slow.providers[id].url)
          .get(datasetOf(id).path)
          .query(queryFor(id, 'angela'))
          .set(credentialsOf(slow.providers[id].auth));
      try {
        let dgfipAnswered = false;
        const dgfip = call('dgfip').then(
          () => (dgfipAnswered = true),
          () => 'aborted at close',
        );
        // With cnaf's latency back to 0, its answer arrives while dgfip's is still held back.
        slow.setLatency('cnaf', 0);
        expect((await call('cnaf')).status).toBe(200);
        expect(dgfipAnswered).toBe(false);
        await slow.close();
        expect(await dgfip).toBe('aborted at close');
      } finally {
        await slow.close();
      }
      // And the latency is really waited for (a lower bound: a loaded machine is only slower).
      const short = await startDemoProviders({ latencyMs: { cnaf: 150 } });
      try {
        const t0 = Date.now();
        const res = await request(short.providers.cnaf.url)
          .get(datasetOf('cnaf').path)
          .query(queryFor('cnaf', 'angela'))
          .set(credentialsOf(short.providers.cnaf.auth));
        expect(res.status).toBe(200);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
      } finally {
        await short.close();
      }
    });

    it('closes without waiting for the answers still pending', async () => {
      const p = await startDemoProviders({ latencyMs: { dgfip: 600_000 } });
      const pending = request(p.providers.dgfip.url)
        .get(datasetOf('dgfip').path)
        .query(queryFor('dgfip', 'angela'))
        .set(credentialsOf(p.providers.dgfip.auth))
        .then(
          () => 'answered',
          () => 'aborted',
        );
      await new Promise((r) => setTimeout(r, 100));
      // close() resolving at all (well within jest's timeout) shows it did not wait 10 minutes.
      await p.close();
      expect(await pending).toBe('aborted');
    });
  });

  it('keeps connections alive: 400 requests over an agent of 4 sockets open at most 4 connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const d = datasetOf('cnaf');
    const path = `${d.path}?${new URLSearchParams(queryFor('cnaf', 'angela')).toString()}`;
    const target = new URL(url('cnaf'));
    const sockets = new Set<unknown>();
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(
          {
            agent,
            host: target.hostname,
            port: target.port,
            path,
            headers: credentials('cnaf'),
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('socket', (socket) => sockets.add(socket));
        req.on('error', reject);
      });
    try {
      for (let i = 0; i < 400; i++) expect(await one()).toBe(200);
    } finally {
      agent.destroy();
    }
    // The demo providers' speed is measured by `npm run bench`, not asserted here.
    expect(sockets.size).toBeGreaterThanOrEqual(1);
    expect(sockets.size).toBeLessThanOrEqual(4);
  });

  describe('gateway assertion', () => {
    let jwksServer: Awaited<ReturnType<typeof startJwksServer>>;
    let gatewayKey: CryptoKey;
    let otherKey: CryptoKey;
    const ISSUER = 'http://passerelle.test';
    const claims = {
      consent_id: 'c0ffee00-0000-4000-8000-000000000001',
      dataset: 'cnaf.quotient_familial',
      purpose: 'Tarification sociale de la cantine',
      client_id: 'mairie-demo',
      recipient: '21750001600019',
    };

    async function sign(
      payload: Record<string, unknown> = claims,
      opts: {
        key?: CryptoKey;
        kid?: string;
        aud?: string;
        iss?: string;
        iat?: number;
        exp?: string | number;
      } = {},
    ): Promise<string> {
      const jwt = new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? 'gw-1', typ: 'JWT' })
        .setIssuer(opts.iss ?? ISSUER)
        .setAudience(opts.aud ?? 'cnaf')
        .setIssuedAt(opts.iat)
        .setExpirationTime(opts.exp ?? '2m');
      return jwt.sign(opts.key ?? gatewayKey);
    }

    const call = (assertion?: string, id: ProviderId = 'cnaf') =>
      get(id, queryFor(id, 'angela'), {
        ...credentials(id),
        ...(assertion ? { [ASSERTION_HEADER]: assertion } : {}),
      });

    beforeAll(async () => {
      const gw = await generateKeyPair('ES256');
      const other = await generateKeyPair('ES256');
      gatewayKey = gw.privateKey;
      otherKey = other.privateKey;
      const jwk = { ...(await exportJWK(gw.publicKey)), kid: 'gw-1', alg: 'ES256', use: 'sig' };
      jwksServer = await startJwksServer({ keys: [jwk] });
      demo.setGatewayJwksUrl(jwksServer.url, ISSUER);
    });

    afterAll(async () => {
      demo.setGatewayJwksUrl(null, null);
      await jwksServer.close();
    });

    it('accepts a valid assertion', async () => {
      const res = await call(await sign());
      expect(res.status).toBe(200);
    });

    it('accepts it for the dataset and audience of each provider', async () => {
      for (const id of PROVIDER_IDS) {
        const token = await sign({ ...claims, dataset: datasetOf(id).id }, { aud: id });
        expect((await call(token, id)).status).toBe(200);
      }
    });

    it('refuses a missing assertion', async () => {
      const res = await call();
      expect(res.status).toBe(401);
      expect(res.body.errors[0].detail).toMatch(/absente/);
    });

    it('refuses an assertion signed by another key', async () => {
      expect((await call(await sign(claims, { key: otherKey }))).status).toBe(401);
      expect((await call(await sign(claims, { key: otherKey, kid: 'other' }))).status).toBe(401);
    });

    it('refuses a wrong audience, issuer or dataset', async () => {
      expect((await call(await sign(claims, { aud: 'dgfip' }))).status).toBe(401);
      expect((await call(await sign(claims, { iss: 'http://evil.test' }))).status).toBe(401);
      const other = await sign({ ...claims, dataset: 'dgfip.avis_imposition' });
      const res = await call(other);
      expect(res.status).toBe(401);
      expect(res.body.errors[0].detail).toMatch(/jeu de données/);
    });

    it('refuses alg:none', async () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({
        ...claims,
        iss: ISSUER,
        aud: 'cnaf',
        iat: now,
        exp: now + 60,
      })}.`;
      expect((await call(unsigned)).status).toBe(401);
    });

    it('refuses an expired assertion and one older than 5 minutes', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await call(await sign(claims, { iat: now - 120, exp: now - 60 }));
      expect(expired.status).toBe(401);
      expect(expired.body.errors[0].detail).toMatch(/expiré/);
      const old = await call(await sign(claims, { iat: now - 600, exp: now + 600 }));
      expect(old.status).toBe(401);
    });

    it('refuses missing claims and a recipient that is not a SIRET', async () => {
      for (const drop of ['consent_id', 'dataset', 'purpose', 'client_id', 'recipient']) {
        const partial: Record<string, unknown> = { ...claims };
        delete partial[drop];
        expect((await call(await sign(partial))).status).toBe(401);
      }
      expect((await call(await sign({ ...claims, recipient: '123' }))).status).toBe(401);
    });

    it('refuses garbage', async () => {
      expect((await call('not.a.jwt')).status).toBe(401);
    });

    it('stops requiring it when the JWKS URL is removed', async () => {
      demo.setGatewayJwksUrl(null);
      try {
        expect((await call()).status).toBe(200);
      } finally {
        demo.setGatewayJwksUrl(jwksServer.url);
      }
      expect((await call()).status).toBe(401);
    });
  });
});
