/**
 * Adversarial suite — input. Malformed, oversized, deeply nested and poisoned input at the API's
 * edge: each attack is replayed over HTTP and must be refused with a 4xx problem+json carrying a
 * stable code, never a 500 nor a stack trace in the logs.
 */
import request from 'supertest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import {
  consentClient,
  createConsentRequest,
  requestBody,
  seedConsentCatalog,
  type ConsentClient,
} from '../support/consent.js';
import { ADMIN, operatorApi, VALID_SIRET } from '../support/operator.js';

const PROBLEM = /^application\/problem\+json/;

function expectProblem(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(PROBLEM);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat [\w.<>]+ \(|node_modules/);
}

/** `depth` nested arrays around 1: `[[[1]]]`. */
const nested = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);

describe('security: input', () => {
  let gw: TestGateway;
  let c: ConsentClient;
  let habilitationId: string;
  const admin = () => operatorApi(gw);

  beforeAll(async () => {
    gw = await startGateway();
    await seedConsentCatalog(gw);
    c = await consentClient(gw);
    habilitationId = c.habilitationId;
  });
  afterAll(async () => {
    await gw?.close();
  });

  const noStackInLogs = () => {
    const logs = gw.logs.text();
    expect(logs).not.toMatch(/Maximum call stack|RangeError|"level":50/);
  };

  describe('JSON nested too deep (item 3)', () => {
    it('refuses 40,000 levels in 80 kB with 400 body_too_deep, before validation, without a 500', async () => {
      const body = `{"datasets":${nested(40_000)},"purpose":"x","durationDays":1,"redirectUri":"${c.redirectUri}"}`;
      expect(body.length).toBeLessThan(100 * 1024);
      for (const [path, auth] of [
        ['/api/v1/consent-requests', `Bearer ${c.token}`],
        [`${ADMIN}/providers`, `Bearer ${gw.config.operatorToken}`],
        // Unauthenticated: refused all the same, before any guard or DTO runs.
        [`${ADMIN}/clients`, ''],
      ]) {
        const res = await request(gw.url)
          .post(path)
          .set('Authorization', auth)
          .set('Content-Type', 'application/json')
          .send(body);
        expectProblem(res, 400, 'body_too_deep');
      }
      noStackInLogs();
    });

    it('still validates normally at a sane depth (the limit is not a blanket refusal)', async () => {
      const res = await createConsentRequest(gw, c.token, {
        ...requestBody(c),
        datasets: JSON.parse(nested(20)) as unknown,
      });
      expectProblem(res, 400, 'validation_failed');
    });
  });

  describe('null in required PATCH fields (item 7)', () => {
    it.each([
      ['providers/cnaf', 'name'],
      ['providers/cnaf', 'baseUrl'],
      ['providers/cnaf', 'timeoutMs'],
      ['datasets/cnaf.quotient_familial', 'path'],
      ['datasets/cnaf.quotient_familial', 'status'],
      ['habilitations/:hab', 'purpose'],
      ['habilitations/:hab', 'datasets'],
      ['clients/:client', 'name'],
      ['clients/:client', 'redirectUris'],
    ])('PATCH %s {"%s": null} → 400 naming the field', async (target, field) => {
      const path = target.replace(':hab', habilitationId).replace(':client', c.client.clientId);
      const res = await admin().patch(`${ADMIN}/${path}`, { [field]: null });
      expectProblem(res, 400, 'validation_failed');
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toContain(field);
    });

    it('keeps null where a field documents it (habilitation validTo: no end)', async () => {
      const res = await admin().patch(`${ADMIN}/habilitations/${habilitationId}`, {
        validTo: null,
      });
      expect(res.status).toBe(200);
      expect(res.body.validTo).toBeNull();
    });
  });

  describe('control characters (item 7)', () => {
    it.each([
      ['NUL in a path id', 'get', `${ADMIN}/providers/cnaf%00`],
      ['NUL in a client id', 'get', `${ADMIN}/clients/svc%00x`],
      ['escape in a path id', 'get', `${ADMIN}/datasets/cnaf.%1B[31m`],
      ['NUL in a query value', 'get', `${ADMIN}/audit?kind=x%00`],
      ['NUL in a consent id', 'get', '/api/v1/consents/%00'],
    ])('%s → 400 forbidden_characters', async (_what, _method, path) => {
      const res = await admin().get(path);
      expectProblem(res, 400, 'forbidden_characters');
    });

    it.each([
      [
        'provider name',
        'post',
        'providers',
        {
          id: 'nul_test',
          name: 'CNAF\u0000',
          baseUrl: 'http://127.0.0.1:9',
          auth: { kind: 'none' },
        },
      ],
      ['client name (PATCH)', 'patch', 'clients/:client', { name: 'Mairie\u0000' }],
      [
        'habilitation purpose (PATCH)',
        'patch',
        'habilitations/:hab',
        { purpose: 'Cantine\u001b[2J' },
      ],
      ['a JSON key', 'patch', 'clients/:client', { 'name\u0000': 'x' }],
    ])(
      '%s carrying a control character → 400 forbidden_characters',
      async (_what, method, target, body) => {
        const path = `${ADMIN}/${target.replace(':hab', habilitationId).replace(':client', c.client.clientId)}`;
        const res =
          method === 'post' ? await admin().post(path, body) : await admin().patch(path, body);
        expectProblem(res, 400, 'forbidden_characters');
      },
    );

    it('refuses NUL in a consent request purpose and state from a requesting service', async () => {
      for (const body of [{ purpose: 'Cantine\u0000' }, { state: 'st\u0000ate' }]) {
        const res = await createConsentRequest(gw, c.token, requestBody(c, body));
        expectProblem(res, 400, 'forbidden_characters');
      }
      noStackInLogs();
    });

    it('keeps line breaks in free text', async () => {
      const res = await admin().patch(`${ADMIN}/habilitations/${habilitationId}`, {
        purpose: 'Cantine scolaire\nquotient familial',
      });
      expect(res.status).toBe(200);
    });
  });

  describe('invisible and bidirectional characters in what a citizen is shown (item 8)', () => {
    const spoofs = {
      'right-to-left override': 'Cantine \u202Etnemessiacne\u202C',
      'left-to-right isolate': 'Cantine \u2066x\u2069',
      'zero-width space': 'Can\u200Btine',
      'zero-width joiner': 'Can\u200Dtine',
      'byte order mark': '\uFEFFCantine',
      'soft hyphen': 'Can\u00ADtine',
      'right-to-left mark': 'Cantine\u200F',
      'Hangul filler': 'Cantine \u3164',
    };

    it.each(Object.entries(spoofs))('refuses a purpose carrying a %s', async (_what, purpose) => {
      const res = await createConsentRequest(gw, c.token, requestBody(c, { purpose }));
      expectProblem(res, 400, 'forbidden_characters');
      expect(res.body.errors[0].field).toBe('purpose');
    });

    it('refuses them in the names and texts the operator registers', async () => {
      const rlo = spoofs['right-to-left override'];
      const attempts: [string, Promise<request.Response>][] = [
        ['client name', admin().patch(`${ADMIN}/clients/${c.client.clientId}`, { name: rlo })],
        [
          'provider name',
          admin().patch(`${ADMIN}/providers/cnaf`, { name: `CNAF${spoofs['zero-width space']}` }),
        ],
        [
          'dataset field description',
          admin().patch(`${ADMIN}/datasets/cnaf.quotient_familial`, {
            fields: { 'quotient_familial.valeur': `Montant ${rlo}` },
          }),
        ],
        [
          'habilitation purpose',
          admin().patch(`${ADMIN}/habilitations/${habilitationId}`, { purpose: rlo }),
        ],
        [
          'new client',
          admin().post(`${ADMIN}/clients`, {
            name: `Mairie${spoofs['byte order mark']}`,
            siret: VALID_SIRET,
            contactEmail: 'dpo@ville.example.fr',
            redirectUris: [`${gw.url}/cb`],
            authMethod: 'client_secret_basic',
          }),
        ],
      ];
      for (const [what, pending] of attempts) {
        const res = await pending;
        expect({ what, status: res.status, code: res.body.code }).toEqual({
          what,
          status: 400,
          code: 'forbidden_characters',
        });
      }
    });

    it('accepts ordinary French text (accents, apostrophes, dashes, non-breaking spaces)', async () => {
      const res = await createConsentRequest(
        gw,
        c.token,
        requestBody(c, { purpose: 'Tarif de la cantine — l’école « Jean Moulin » : 3\u00A0€' }),
      );
      expect(res.status).toBe(201);
    });
  });

  describe('attacks that held', () => {
    it('SQL injection in path ids, query filters and body ids answers 4xx, never 500', async () => {
      const probes = [
        () => admin().get(`${ADMIN}/providers/${encodeURIComponent("cnaf' OR '1'='1")}`),
        () =>
          admin().get(`${ADMIN}/audit?kind=${encodeURIComponent("x';drop table audit_event;--")}`),
        () =>
          request(gw.url)
            .get(`/api/v1/consents/${encodeURIComponent("1' OR 1=1 --")}`)
            .set('Authorization', `Bearer ${c.token}`),
        () =>
          createConsentRequest(gw, c.token, requestBody(c, { datasets: ["cnaf.x' OR 1=1 --"] })),
      ];
      for (const probe of probes) {
        const res = await probe();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(PROBLEM);
      }
    });

    it('refuses an oversized body (413), malformed JSON and a wrong content type (4xx problem+json)', async () => {
      const big = await request(gw.url)
        .post('/api/v1/consent-requests')
        .set('Authorization', `Bearer ${c.token}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ purpose: 'x'.repeat(200 * 1024) }));
      expectProblem(big, 413, 'payload_too_large');
      const broken = await request(gw.url)
        .post('/api/v1/consent-requests')
        .set('Authorization', `Bearer ${c.token}`)
        .set('Content-Type', 'application/json')
        .send('{"datasets": [');
      expectProblem(broken, 400, 'malformed_body');
      const text = await request(gw.url)
        .post('/api/v1/consent-requests')
        .set('Authorization', `Bearer ${c.token}`)
        .set('Content-Type', 'text/plain')
        .send('datasets=cnaf');
      expect(text.status).toBeGreaterThanOrEqual(400);
      expect(text.status).toBeLessThan(500);
      expect(text.headers['content-type']).toMatch(PROBLEM);
    });
  });
});
