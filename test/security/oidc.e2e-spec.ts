/**
 * Adversarial suite — OpenID Connect (FranceConnect login). Replayed and forged callbacks must
 * never log anyone in, and a login flood from one address gets the French 429 page (item 6),
 * audited as a rate limit, not a 500. The FranceConnect v2 sandbox runs on the loopback.
 */
import { CookieJar, loginThroughSandbox, request } from '../../sandbox/franceconnect/browser.js';
import {
  startGatewayWithFranceConnect,
  type GatewayWithFranceConnect,
} from '../support/franceconnect.js';

const WHOAMI = '/auth/whoami';

function errorCode(page: { body: string }): string | undefined {
  return /<code data-error-code>([a-z_]+)<\/code>/.exec(page.body)?.[1];
}

describe('security: OIDC', () => {
  describe('callbacks (attacks that held)', () => {
    let env: GatewayWithFranceConnect;
    beforeAll(async () => {
      env = await startGatewayWithFranceConnect();
    });
    afterAll(async () => {
      await env?.close();
    });

    it('a callback is good once, in the browser that started it; forged states and codes fail', async () => {
      const gw = env.gateway;
      const jar = new CookieJar();
      const toCallback = await loginThroughSandbox(
        `${gw.url}/auth/login?returnTo=${WHOAMI}`,
        'pierre',
        jar,
        {
          stopAt: `${gw.url}/auth/callback`,
        },
      );
      const callback = new URL(toCallback.location!);
      const forged = new URL(callback);
      forged.searchParams.set('state', 'x'.repeat(43));
      expect(errorCode(await request(jar, forged.href))).toBe('login_state_mismatch');
      const stolen = await request(new CookieJar(), callback.href);
      expect(errorCode(stolen)).toBe('login_state_mismatch');
      const ok = await request(jar, callback.href);
      expect(ok.status).toBe(303);
      const replay = await request(jar, callback.href);
      expect(replay.status).toBe(400);
      expect(errorCode(replay)).toBe('login_state_mismatch');

      // The used code under a fresh, valid state: FranceConnect refuses it.
      const second = new CookieJar();
      const two = await loginThroughSandbox(
        `${gw.url}/auth/login?returnTo=${WHOAMI}`,
        'pierre',
        second,
        {
          stopAt: `${gw.url}/auth/callback`,
        },
      );
      const reused = new URL(two.location!);
      reused.searchParams.set('code', callback.searchParams.get('code')!);
      const res = await request(second, reused.href);
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('login_code_rejected');
      expect((await request(second, `${gw.url}${WHOAMI}`)).status).toBe(303);
    });
  });

  describe('login flood (item 6)', () => {
    let env: GatewayWithFranceConnect;
    beforeAll(async () => {
      env = await startGatewayWithFranceConnect({ RATE_LIMIT_PER_MINUTE: '3' });
    });
    afterAll(async () => {
      await env?.close();
    });

    it('answers the French 429 page with Retry-After, audited as a rate limit, not a 500', async () => {
      const gw = env.gateway;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof request>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await request(new CookieJar(), `${gw.url}/auth/login`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([302, 302, 302, 429, 429]);
      expect(last!.headers.get('content-type')).toMatch(/^text\/html/);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(errorCode(last!)).toBe('login_rate_limited');
      expect(last!.body).toContain('Trop de tentatives de connexion');
      expect(last!.body).not.toMatch(/at [\w.]+ \(|Error:/);

      const until = Date.now() + 5000;
      let events = await gw.prisma.auditEvent.findMany({ where: { kind: 'login.rate_limited' } });
      while (events.length < 2 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 25));
        events = await gw.prisma.auditEvent.findMany({ where: { kind: 'login.rate_limited' } });
      }
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ outcome: 'rate_limited', httpStatus: 429 });
      expect(
        await gw.prisma.auditEvent.count({ where: { kind: 'login.failed', outcome: 'error' } }),
      ).toBe(0);
    });
  });
});
