/**
 * Rate limits on the real HTTP app: per requesting service on the client API (keyed on the
 * verified token, so a forged token cannot spend another service's budget), per IP and
 * client_id on the token endpoint, never on health probes and metrics; 429 answers are
 * problem+json `rate_limited` with Retry-After and the RateLimit-* headers.
 */
import { SignJWT, generateKeyPair } from 'jose';
import {
  basicAuthorization,
  clientToken,
  postToken,
  registerSecretClient,
  type SecretClient,
} from './support/clients.js';
import { startGateway, type TestGateway } from './support/gateway.js';

const ME = '/api/v1/clients/me';

async function get(gw: TestGateway, path: string, token?: string) {
  return fetch(`${gw.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe('rate limits', () => {
  let gw: TestGateway;
  let a: SecretClient;
  let b: SecretClient;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    gw = await startGateway({ RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_TOKEN_PER_MINUTE: '4' });
    a = await registerSecretClient(gw);
    b = await registerSecretClient(gw);
    tokenA = await clientToken(gw, a);
    tokenB = await clientToken(gw, b);
  });
  afterAll(() => gw?.close());

  it('counts per requesting service and answers 429 problem+json with Retry-After', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await get(gw, ME, tokenA);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-policy')).toBe('3;w=60');
      remaining.push(res.headers.get('ratelimit-remaining')!);
      const reset = Number(res.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await get(gw, ME, tokenA);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-request-id')).toBeTruthy();
    const problem = (await refused.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(problem.requestId).toBe(refused.headers.get('x-request-id'));

    // Another service from the same address has its own budget.
    expect((await get(gw, ME, tokenB)).status).toBe(200);
  });

  it('does not let a forged token spend another service budget', async () => {
    const c = await registerSecretClient(gw);
    const tokenC = await clientToken(gw, c);
    // Right claims, wrong key: keyed on the caller's address, not on client C.
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: c.clientId, scope: '', jti: 'x' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
      .setIssuer(gw.config.publicUrl)
      .setAudience(gw.config.publicUrl)
      .setSubject(c.clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(gw, ME, forged)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // C's budget is untouched.
    const res = await get(gw, ME, tokenC);
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-remaining')).toBe('2');
  });

  it('never limits health probes and metrics', async () => {
    // The caller's address is over its limit (previous test), probes still answer.
    for (let i = 0; i < 6; i++) {
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        const res = await get(gw, path);
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
    }
  });

  it('limits the token endpoint per address and client_id, in OAuth error form', async () => {
    const c = await registerSecretClient(gw);
    const d = await registerSecretClient(gw);
    const form = { grant_type: 'client_credentials' };
    const ask = (client: SecretClient, secret = client.clientSecret) =>
      postToken(gw, form, { authorization: basicAuthorization(client.clientId, secret) });

    // Wrong secrets count too: that is what stops credential stuffing.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(c, `wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    const refused = await ask(c);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('4');
    // The token endpoint keeps RFC 6749 §5.2's shape so that OAuth libraries can read it.
    expect(refused.body).toHaveProperty('error');
    expect(refused.body).not.toHaveProperty('access_token');

    // Another client_id from the same address is not locked out.
    const other = await ask(d);
    expect(other.status).toBe(200);
    expect(other.body.access_token).toEqual(expect.any(String));
  });
});
