/**
 * Adversarial suite — audit and logs. Whatever an attacker sends, no credential it carries (or
 * that the gateway holds) reaches a log line or an audit row; the hash chain still verifies
 * after the campaign.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { basicAuthorization, postToken, registerSecretClient } from '../support/clients.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ADMIN, operatorApi } from '../support/operator.js';

describe('security: audit and logs', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    // debug: the most the gateway ever writes.
    gw = await startGateway({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('no header or field carrying a secret reaches the logs or the audit log (item 10)', async () => {
    const mark = (what: string) => `SECRET-${what}-${randomUUID()}`;
    const secrets = {
      bearer: mark('bearer'),
      cookie: mark('cookie'),
      csrfHeader: mark('csrf-header'),
      csrfField: mark('csrf-field'),
      apiKey: mark('api-key'),
      proxy: mark('proxy'),
      assertion: mark('assertion'),
      clientSecret: mark('client-secret'),
      basicSecret: mark('basic-secret'),
      providerSecret: mark('provider-secret'),
    };
    const headers = {
      Authorization: `Bearer ${secrets.bearer}`,
      Cookie: `passerelle.sid=${secrets.cookie}`,
      'X-CSRF-Token': secrets.csrfHeader,
      'X-Api-Key': secrets.apiKey,
      'Proxy-Authorization': `Basic ${secrets.proxy}`,
      'X-Passerelle-Assertion': secrets.assertion,
    };
    for (const [method, path] of [
      ['get', '/api/v1/me/consents'],
      ['post', `/api/v1/me/consents/${randomUUID()}/revoke`],
      ['get', `/api/v1/consents/${randomUUID()}`],
      ['get', `${ADMIN}/providers`],
      ['post', `/consent/${randomUUID()}/decision`],
    ] as const) {
      let req = request(gw.url)[method](path);
      for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
      await req.type('form').send({ csrf: secrets.csrfField, decision: 'approve' });
    }
    // The token endpoint, with a client that exists and one that does not.
    const c = await registerSecretClient(gw, 'client_secret_post');
    await postToken(gw, {
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: secrets.clientSecret,
    });
    await postToken(
      gw,
      { grant_type: 'client_credentials' },
      {
        authorization: basicAuthorization(`nobody-${randomUUID()}`, secrets.basicSecret),
      },
    );
    // An operator call carrying a provider secret (audited as an admin call).
    await operatorApi(gw).post(`${ADMIN}/providers`, {
      id: 'leaky',
      name: 'Fournisseur',
      baseUrl: 'http://127.0.0.1:9',
      auth: { kind: 'api_key', headerName: 'X-Api-Key', secret: secrets.providerSecret },
    });
    // An unknown route and a malformed body, where frameworks like to echo input.
    await request(gw.url).post('/nowhere').set(headers).send({ secret: secrets.clientSecret });
    await request(gw.url)
      .post('/api/v1/consent-requests')
      .set(headers)
      .set('Content-Type', 'application/json')
      .send(`{"purpose": "${secrets.csrfField}"`);

    await new Promise((r) => setTimeout(r, 300));
    const logs = gw.logs.text();
    expect(logs).toContain('[redacted]');
    expect(logs).toContain(c.clientId);
    const audit = JSON.stringify(await gw.prisma.auditEvent.findMany(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    for (const [what, value] of Object.entries(secrets)) {
      expect({ what, inLogs: logs.includes(value) }).toEqual({ what, inLogs: false });
      expect({ what, inAudit: audit.includes(value) }).toEqual({ what, inAudit: false });
    }
    expect(logs).not.toContain(gw.config.operatorToken);
  });

  it('an unauthenticated flood does not grow the hash-chained log, and the chain still verifies', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const before = await gw.prisma.auditEvent.count();
    for (let i = 0; i < 50; i++) {
      await request(gw.url)
        .get(`${ADMIN}/audit`)
        .set('Authorization', `Bearer forged-${i}-0123456789abcdefghij`);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await gw.prisma.auditEvent.count()).toBe(before);
    const verify = await operatorApi(gw).post(`${ADMIN}/audit/verify`);
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  });
});
