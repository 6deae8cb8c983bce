import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { startGateway, TestGateway } from './support/gateway.js';

describe('foundation: HTTP basics, health, metrics, OpenAPI, logs', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers liveness and readiness (database checked)', async () => {
    const live = await request(gw.url).get('/health/live').expect(200);
    expect(live.body.status).toBe('ok');
    const ready = await request(gw.url).get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('answers its own request id, and keeps a valid client X-Request-Id as X-Correlation-Id', async () => {
    const first = await request(gw.url).get('/health/live').set('X-Request-Id', 'abc-12345678');
    const second = await request(gw.url).get('/health/live').set('X-Request-Id', 'abc-12345678');
    // The client's id repeats; ours never does.
    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    expect(first.headers['x-correlation-id']).toBe('abc-12345678');
    const unsafe = await request(gw.url)
      .get('/health/live')
      .set('X-Request-Id', '<script>alert(1)</script>');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(unsafe.headers['x-correlation-id']).toBeUndefined();
    const generated = await request(gw.url).get('/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a problem+json 404 carrying the gateway request id', async () => {
    const res = await request(gw.url)
      .get('/api/v1/nothing-here')
      .set('X-Request-Id', 'req-404-test');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: expect.stringContaining('not_found'),
      title: 'Not found',
      status: 404,
      detail: expect.any(String),
      code: 'not_found',
      requestId: res.headers['x-request-id'],
    });
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses malformed JSON with 400 and no parser internals', async () => {
    const res = await request(gw.url)
      .post('/health/live')
      .set('Content-Type', 'application/json')
      .send('{"a": ');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_body');
    expect(JSON.stringify(res.body)).not.toMatch(/Unexpected|JSON\.parse|at .*\.js/);
  });

  it('refuses a 10 MB body with 413, then keeps serving', async () => {
    const big = JSON.stringify({ blob: 'a'.repeat(10 * 1024 * 1024) });
    const res = await request(gw.url)
      .post('/health/live')
      .set('Content-Type', 'application/json')
      .send(big);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
    await request(gw.url).get('/health/live').expect(200);
  });

  it('sets security headers and keeps CORS closed', async () => {
    const res = await request(gw.url).get('/health/live').set('Origin', 'https://evil.example');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('exposes Prometheus metrics by route and status', async () => {
    await request(gw.url).get('/health/ready').expect(200);
    const res = await request(gw.url).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /passerelle_http_requests_total\{method="GET",route="\/health\/ready",status="200"\} \d+/,
    );
    expect(res.text).toContain('passerelle_http_request_duration_seconds_bucket');
    expect(res.text).toMatch(/route="unmatched",status="404"/);
  });

  it('serves Swagger UI and a valid OpenAPI 3 document with security schemes and the problem schema', async () => {
    await request(gw.url).get('/docs/').expect(200).expect('content-type', /html/);
    const res = await request(gw.url).get('/docs-json').expect(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.securitySchemes)).toEqual(
      expect.arrayContaining(['client', 'operator', 'citizen']),
    );
    expect(doc.components.schemas.ProblemDto).toBeDefined();
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  it('keeps tokens, secrets and cookies out of the logs', async () => {
    const secret = 'SUPER-SECRET-TOKEN-1f8e2c';
    await request(gw.url)
      .get('/health/ready?x=1')
      .set('Authorization', `Bearer ${secret}`)
      .set('Cookie', `passerelle.sid=${secret}-cookie`)
      .set('X-Api-Key', `${secret}-key`)
      .expect(200);
    const logs = gw.logs.text();
    expect(logs).toContain('/health/ready');
    expect(logs).toContain('[redacted]');
    expect(logs).not.toContain(secret);
  });

  it('writes one line per request when it ends, naming the request on it', async () => {
    const res = await request(gw.url).get('/health/ready').expect(200);
    const id = res.headers['x-request-id'];
    const lines = gw.logs.lines
      .map((l) => JSON.parse(l) as { reqId?: string; msg?: string; req?: { id?: string } })
      .filter((l) => l.reqId === id);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ id }) }),
    ]);
  });
});
