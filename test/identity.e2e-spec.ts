/**
 * Citizen login through FranceConnect, end to end: the real gateway, a real database, the
 * FranceConnect v2 sandbox on its own port, and a headless cookie-jar browser.
 */
import {
  CookieJar,
  cancelThroughSandbox,
  loginThroughSandbox,
  navigate,
  request,
  type BrowserResponse,
} from '../sandbox/franceconnect/browser.js';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import {
  pairwiseSubject,
  startFranceConnectSandbox,
  type FranceConnectFault,
} from '../sandbox/franceconnect/server.js';
import { Redis } from 'ioredis';
import { CitizenSessionMiddleware } from '../src/identity/index.js';
import type { PrismaSessionStore } from '../src/identity/session-store.js';
import { freePort, startGateway, type TestGateway } from './support/gateway.js';
import {
  franceConnectEnv,
  gatewayClient,
  startGatewayWithFranceConnect,
  TEST_FC_CLIENT_ID,
  type GatewayWithFranceConnect,
} from './support/franceconnect.js';

const WHOAMI = '/auth/whoami';

function errorCode(page: { body: string }): string | undefined {
  return /<code data-error-code>([a-z_]+)<\/code>/.exec(page.body)?.[1];
}

function sessionCookie(res: BrowserResponse): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith('passerelle.sid='));
}

async function sidIn(jar: CookieJar, url: string): Promise<string | undefined> {
  const cookies = await jar.getCookies(url);
  return cookies.find((c) => c.key === 'passerelle.sid')?.value;
}

describe('identity: citizen login through FranceConnect', () => {
  let env: GatewayWithFranceConnect;
  let gw: TestGateway;

  beforeAll(async () => {
    env = await startGatewayWithFranceConnect();
    gw = env.gateway;
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => env.fc.setFault(null));

  async function loginFailures(): Promise<Array<{ reason: string; detail: string }>> {
    const rows = await gw.prisma.auditEvent.findMany({
      where: { kind: 'login.failed' },
      orderBy: { seq: 'asc' },
    });
    return rows.map((r) => r.details as { reason: string; detail: string });
  }

  async function expectNotLoggedIn(jar: CookieJar): Promise<void> {
    const res = await request(jar, `${gw.url}${WHOAMI}`);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${gw.url}/auth/login?returnTo=${encodeURIComponent(WHOAMI)}`);
  }

  it('logs a test citizen in headlessly and reaches the protected page', async () => {
    const jar = new CookieJar();
    const done = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'angela',
      jar,
    );
    expect(done.loginFormSubmitted).toBe(true);
    expect(done.url).toBe(`${gw.url}${WHOAMI}`);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Connecté');
    expect(done.body).toContain('Angela Claire Louise');

    const sub = pairwiseSubject('angela', TEST_FC_CLIENT_ID);
    const citizen = await gw.prisma.citizen.findUnique({ where: { sub } });
    expect(citizen).not.toBeNull();
    expect(citizen?.lastLoginAt).toBeInstanceOf(Date);

    const audit = await gw.prisma.auditEvent.findFirst({
      where: { kind: 'login.succeeded', citizenId: citizen?.id },
    });
    expect(audit?.actor).toBe(`citizen:${citizen?.id}`);
  });
  it('sends state, nonce, acr_values and PKCE S256 in the authorization request', async () => {
    const jar = new CookieJar();
    const res = await request(jar, `${gw.url}/auth/login?returnTo=${WHOAMI}`);
    expect(res.status).toBe(302);
    const authorize = new URL(res.location ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${env.fc.issuer}/authorize`);
    const q = authorize.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(TEST_FC_CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(`${gw.url}/auth/callback`);
    expect(q.get('acr_values')).toBe('eidas1');
    expect(q.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining([
        'openid',
        'given_name',
        'family_name',
        'birthdate',
        'gender',
        'birthplace',
        'birthcountry',
        'email',
      ]),
    );
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('state')).not.toBe(q.get('nonce'));
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The session cookie: HttpOnly, SameSite=Lax, not Secure on plain http (demo), 30 min idle.
    const cookie = sessionCookie(res) ?? '';
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).not.toMatch(/; Secure/i);
    const expires = Date.parse(/; Expires=([^;]+)/i.exec(cookie)?.[1] ?? '');
    expect(expires - Date.now()).toBeGreaterThan(25 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000 + 1000);
  });

  it('stores no identity in clear in any table, and the session row is sealed', async () => {
    const jar = new CookieJar();
    const done = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'helene',
      jar,
    );
    expect(done.body).toContain('Hélène Éloïse');
    const helene = TEST_CITIZENS.find((c) => c.login === 'helene')!;
    const sid = decodeURIComponent((await sidIn(jar, gw.url)) ?? '')
      .replace(/^s:/, '')
      .split('.')[0];
    expect(await gw.prisma.session.findUnique({ where: { sid } })).not.toBeNull();

    const tables = await gw.prisma.$queryRawUnsafe<Array<{ table_name: string }>>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['citizen', 'session', 'audit_event']),
    );
    for (const { table_name } of tables) {
      const rows = await gw.prisma.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT t::text AS row FROM "${table_name}" t`,
      );
      const dump = rows.map((r) => r.row).join('\n');
      for (const value of [
        helene.given_name,
        helene.family_name,
        helene.birthdate,
        helene.email,
        'LEFÈVRE',
        'Hélène',
      ]) {
        expect({ table: table_name, leaked: dump.includes(value) ? value : null }).toEqual({
          table: table_name,
          leaked: null,
        });
      }
    }
  });

  it('gives a new session id at login (no fixation); the pre-login id is dead', async () => {
    const jar = new CookieJar();
    const start = await request(jar, `${gw.url}/auth/login?returnTo=${WHOAMI}`);
    expect(start.status).toBe(302);
    const before = await sidIn(jar, gw.url);
    expect(before).toBeDefined();
    const done = await loginThroughSandbox(start.location!, 'karim', jar);
    expect(done.status).toBe(200);
    const after = await sidIn(jar, gw.url);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    const stale = new CookieJar();
    await stale.setCookie(`passerelle.sid=${before}; Path=/`, gw.url);
    await expectNotLoggedIn(stale);
  });

  it('goes straight to returnTo when already logged in, and to /me by default', async () => {
    const jar = new CookieJar();
    await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, 'lucas', jar);
    const again = await request(jar, `${gw.url}/auth/login?returnTo=/consent/abc?x=1`);
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${gw.url}/consent/abc?x=1`);

    const fresh = new CookieJar();
    const done = await loginThroughSandbox(`${gw.url}/auth/login`, 'lucas', fresh, {
      stopAt: `${gw.url}/me`,
    });
    expect(done.location).toBe(`${gw.url}/me`);
  });

  it.each([
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '/%5cevil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
  ])('refuses returnTo=%j (no open redirect)', async (returnTo) => {
    const jar = new CookieJar();
    const res = await request(jar, `${gw.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(errorCode(res)).toBe('login_return_to_invalid');
    expect(res.body).not.toContain('evil.example');
    expect(sessionCookie(res)).toBeUndefined();
  });

  const FAULTS: Array<[Exclude<FranceConnectFault, null>, string, RegExp]> = [
    ['id_token_wrong_key', 'login_id_token_invalid', /SIGNATURE_VERIFICATION_FAILED/],
    ['id_token_alg_none', 'login_id_token_invalid', /ALG_NOT_ALLOWED|JWS_INVALID/],
    ['id_token_wrong_audience', 'login_id_token_invalid', /CLAIM_VALIDATION_FAILED \(aud\)/],
    ['id_token_wrong_nonce', 'login_nonce_mismatch', /nonce/],
    ['id_token_no_acr', 'login_acr_insufficient', /acr missing/],
    ['id_token_expired', 'login_id_token_invalid', /ERR_JWT_EXPIRED/],
    ['userinfo_other_sub', 'login_userinfo_invalid', /sub differs/],
    ['userinfo_wrong_key', 'login_userinfo_invalid', /SIGNATURE_VERIFICATION_FAILED/],
  ];

  it.each(FAULTS)('refuses a login when the provider sends %s', async (fault, code, detail) => {
    const citizensBefore = await gw.prisma.citizen.count();
    const failuresBefore = (await loginFailures()).length;
    env.fc.setFault(fault);
    const jar = new CookieJar();
    const done = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'camille',
      jar,
    );
    expect(done.url.startsWith(`${gw.url}/auth/callback?`)).toBe(true);
    expect(done.status).toBe(401);
    expect(done.headers.get('content-type')).toMatch(/^text\/html/);
    expect(errorCode(done)).toBe(code);
    expect(done.body).not.toMatch(/at .*\.(js|ts):\d+|Error:/);
    expect(done.body).toContain('<html lang="fr">');

    const failures = await loginFailures();
    expect(failures).toHaveLength(failuresBefore + 1);
    expect(failures.at(-1)?.reason).toBe(code);
    expect(failures.at(-1)?.detail).toMatch(detail);
    expect(await gw.prisma.citizen.count()).toBe(citizensBefore);
    env.fc.setFault(null);
    await expectNotLoggedIn(jar);
    const live = await fetch(`${gw.url}/health/live`);
    expect(live.status).toBe(200);
  });

  it('refuses a callback without state, with a forged state, and a replayed one', async () => {
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
    expect(callback.searchParams.get('code')).toBeTruthy();

    const noState = new URL(callback);
    noState.searchParams.delete('state');
    const r1 = await request(jar, noState.href);
    expect(r1.status).toBe(400);
    expect(errorCode(r1)).toBe('login_state_mismatch');

    const forged = new URL(callback);
    forged.searchParams.set('state', 'x'.repeat(43));
    const r2 = await request(jar, forged.href);
    expect(r2.status).toBe(400);
    expect(errorCode(r2)).toBe('login_state_mismatch');

    // The real state still works once (a forged one does not consume it)…
    const ok = await request(jar, callback.href);
    expect(ok.status).toBe(303);
    expect(ok.location).toBe(`${gw.url}${WHOAMI}`);
    // …and only once.
    const replay = await request(jar, callback.href);
    expect(replay.status).toBe(400);
    expect(errorCode(replay)).toBe('login_state_mismatch');
    // Replayed in another browser, it has no state at all.
    const other = await request(new CookieJar(), callback.href);
    expect(errorCode(other)).toBe('login_state_mismatch');

    const reasons = (await loginFailures()).slice(-4).map((f) => f.reason);
    expect(reasons).toEqual(Array(4).fill('login_state_mismatch'));
  });

  it('refuses an authorization code used twice, even under a valid state (code replay)', async () => {
    const first = new CookieJar();
    const one = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'angela',
      first,
      {
        stopAt: `${gw.url}/auth/callback`,
      },
    );
    const usedCode = new URL(one.location!).searchParams.get('code')!;
    expect((await request(first, one.location!)).status).toBe(303);

    const second = new CookieJar();
    const two = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'angela',
      second,
      {
        stopAt: `${gw.url}/auth/callback`,
      },
    );
    const replay = new URL(two.location!);
    replay.searchParams.set('code', usedCode);
    const res = await request(second, replay.href);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('login_code_rejected');
    await expectNotLoggedIn(second);
  });

  it('refuses a callback with no code, an error callback with a forged state, another iss', async () => {
    const jar = new CookieJar();
    const bare = await request(jar, `${gw.url}/auth/callback`);
    expect(bare.status).toBe(400);
    expect(errorCode(bare)).toBe('login_callback_invalid');
    expect(bare.location).toBeUndefined();

    const forged = await request(
      jar,
      `${gw.url}/auth/callback?error=access_denied&state=${'y'.repeat(43)}`,
    );
    expect(forged.status).toBe(400);
    expect(errorCode(forged)).toBe('login_state_mismatch');

    // A provider error callback under our state: 502 login_provider_error, state consumed.
    const start = await request(jar, `${gw.url}/auth/login?returnTo=${WHOAMI}`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const providerError = await request(
      jar,
      `${gw.url}/auth/callback?error=server_error&error_description=boom&state=${state}`,
    );
    expect(providerError.status).toBe(502);
    expect(errorCode(providerError)).toBe('login_provider_error');
    expect((await loginFailures()).at(-1)?.detail).toBe('error callback: server_error');

    // RFC 9207: a response naming another issuer is refused (mix-up).
    const mixUp = await request(
      jar,
      `${gw.url}/auth/callback?code=abc&state=${state}&iss=${encodeURIComponent('https://evil.example/api/v2')}`,
    );
    expect(mixUp.status).toBe(400);
    expect(errorCode(mixUp)).toBe('login_callback_invalid');
  });

  it('shows login_cancelled when the citizen cancels at FranceConnect', async () => {
    const jar = new CookieJar();
    const done = await cancelThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, jar);
    expect(done.url.startsWith(`${gw.url}/auth/callback?error=access_denied`)).toBe(true);
    expect(done.status).toBe(401);
    expect(errorCode(done)).toBe('login_cancelled');
    expect(done.body).toContain('Connexion annulée');
    expect((await loginFailures()).at(-1)?.reason).toBe('login_cancelled');
    await expectNotLoggedIn(jar);
  });

  it('logs out through FranceConnect end-session and back to /auth/logged-out', async () => {
    const jar = new CookieJar();
    await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, 'camille', jar);
    const sid = decodeURIComponent((await sidIn(jar, gw.url)) ?? '')
      .replace(/^s:/, '')
      .split('.')[0];
    expect(await gw.prisma.session.findUnique({ where: { sid } })).not.toBeNull();

    const out = await logOut(jar, gw.url);
    const endSession = out.hops.find((h) => h.url.startsWith(`${env.fc.issuer}/session/end`));
    expect(endSession).toBeDefined();
    const q = new URL(endSession!.url).searchParams;
    expect(q.get('id_token_hint')).toMatch(/^ey/);
    expect(q.get('post_logout_redirect_uri')).toBe(`${gw.url}/auth/logged-out`);
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(out.url).toBe(`${gw.url}/auth/logged-out?state=${encodeURIComponent(q.get('state')!)}`);
    expect(out.status).toBe(200);
    expect(out.body).toContain('Vous êtes déconnecté');

    // Local session gone at once, FranceConnect's too (the form is shown again).
    expect(await gw.prisma.session.findUnique({ where: { sid } })).toBeNull();
    await expectNotLoggedIn(jar);
    const again = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'camille',
      jar,
    );
    expect(again.loginFormSubmitted).toBe(true);
    expect(again.status).toBe(200);

    const bad = await request(jar, `${gw.url}/auth/logged-out?state=forged`);
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('logout_state_mismatch');
  });

  it('keeps the client API cookie-free and serves DSFR assets locally with a long cache', async () => {
    const health = await fetch(`${gw.url}/health/live`);
    expect(health.headers.getSetCookie()).toEqual([]);
    const page = await request(
      new CookieJar(),
      `${gw.url}/auth/login?returnTo=https://evil.example`,
    );
    const css = /href="(\/dsfr\/dsfr\.min\.css\?v=[^"]+)"/.exec(page.body)?.[1];
    expect(css).toBeDefined();
    const asset = await fetch(`${gw.url}${css}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/css/);
    expect(asset.headers.get('cache-control')).toMatch(/max-age=31536000/);
    expect(page.body).not.toMatch(/https?:\/\/[^"]*\.(css|js)"/);
  });
  it('forgets an expired session row on read and sweeps it', async () => {
    const jar = new CookieJar();
    await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, 'angela', jar);
    const sid = decodeURIComponent((await sidIn(jar, gw.url)) ?? '')
      .replace(/^s:/, '')
      .split('.')[0];
    await gw.prisma.session.update({
      where: { sid },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expectNotLoggedIn(jar);
    const store = gw.app.get(CitizenSessionMiddleware).store as PrismaSessionStore;
    expect(await store.sweep()).toBeGreaterThanOrEqual(1);
    expect(await gw.prisma.session.findUnique({ where: { sid } })).toBeNull();
  });

  it('marks the session cookie Secure when the public URL is https (behind a TLS proxy)', async () => {
    const secure = await startGateway({
      ...franceConnectEnv(env.fc.issuer, 'unused-secret'),
      PUBLIC_URL: 'https://passerelle.example',
      TRUST_PROXY: 'true',
    });
    try {
      const res = await request(new CookieJar(), `${secure.url}/auth/login?returnTo=/me`, {
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(res.status).toBe(302);
      const cookie = sessionCookie(res) ?? '';
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(new URL(res.location!).searchParams.get('redirect_uri')).toBe(
        'https://passerelle.example/auth/callback',
      );
    } finally {
      await secure.close();
    }
  });
});

describe('identity: FranceConnect unreachable', () => {
  it('starts anyway, answers a clean error page, and logs in once the provider is back', async () => {
    const gatewayPort = await freePort();
    const fcPort = await freePort();
    const secret = 'secret-for-the-down-provider-test';
    const gw = await startGateway({
      ...franceConnectEnv(`http://localhost:${fcPort}/api/v2`, secret),
      PORT: String(gatewayPort),
    });
    try {
      const jar = new CookieJar();
      const res = await request(jar, `${gw.url}/auth/login?returnTo=${WHOAMI}`);
      expect(res.status).toBe(502);
      expect(errorCode(res)).toBe('login_provider_unavailable');
      expect(res.body).toContain('FranceConnect est indisponible');
      expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
      const failed = await gw.prisma.auditEvent.findFirst({ where: { kind: 'login.failed' } });
      expect((failed?.details as { reason?: string })?.reason).toBe('login_provider_unavailable');

      const fc = await startFranceConnectSandbox({
        port: fcPort,
        clients: [gatewayClient(gatewayPort, secret)],
        logErrors: false,
      });
      try {
        const done = await loginThroughSandbox(
          `${gw.url}/auth/login?returnTo=${WHOAMI}`,
          'angela',
          jar,
        );
        expect(done.status).toBe(200);
        expect(done.body).toContain('Connecté');
      } finally {
        await fc.close();
      }
    } finally {
      await gw.close();
    }
  });
});

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

// Redis runs on CI and the development machines; a laptop without it skips this block only.
const redisUp = await redisReachable();
if (!redisUp) console.log(`identity: sessions in Redis skipped: no Redis answers at ${REDIS_URL}`);

(redisUp ? describe : describe.skip)('identity: sessions in Redis (REDIS_URL)', () => {
  let env: GatewayWithFranceConnect;
  let redis: Redis;

  beforeAll(async () => {
    env = await startGatewayWithFranceConnect({ REDIS_URL });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await env?.close();
  });

  it('keeps the sealed session in Redis with the idle timeout, none in the database', async () => {
    const gw = env.gateway;
    const jar = new CookieJar();
    const done = await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, 'karim', jar);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Karim Youssef');
    const sid = decodeURIComponent((await sidIn(jar, gw.url)) ?? '')
      .replace(/^s:/, '')
      .split('.')[0];
    const key = `passerelle:session:${sid}`;
    const sealed = await redis.get(key);
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toMatch(/Karim|BENALI/);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(25 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);
    expect(await gw.prisma.session.count()).toBe(0);

    const out = await logOut(jar, gw.url);
    expect(out.status).toBe(200);
    expect(await redis.exists(key)).toBe(0);
    const res = await request(jar, `${gw.url}${WHOAMI}`);
    expect(res.status).toBe(303);
  });

  it('keeps citizens logging in when Redis is lost: sessions fall back to PostgreSQL, nothing hangs', async () => {
    const gw = env.gateway;
    const jar = new CookieJar();
    await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, 'lucas', jar);
    // Runs last in this block: cuts the store's Redis connection for good.
    await gw.app.get(CitizenSessionMiddleware).store.close();
    // A session held by Redis alone cannot be read meanwhile: that citizen logs in again...
    const lost = await request(jar, `${gw.url}${WHOAMI}`);
    expect(lost.status).toBe(303);
    // ... and can: the login state and the new session live in PostgreSQL.
    const again = await loginThroughSandbox(
      `${gw.url}/auth/login?returnTo=${WHOAMI}`,
      'lucas',
      jar,
    );
    expect(again.status).toBe(200);
    expect(again.body).toContain('Lucas Antoine');
    expect(await gw.prisma.session.count()).toBeGreaterThan(0);
    expect((await request(jar, `${gw.url}${WHOAMI}`)).status).toBe(200);
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
  });
});

/** The citizen's logout as a browser does it: the confirmation page, then its POST form. */
async function logOut(jar: CookieJar, gatewayUrl: string) {
  const page = await request(jar, `${gatewayUrl}/auth/logout`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error('no CSRF token on the logout page');
  return navigate(jar, `${gatewayUrl}/auth/logout`, { body: new URLSearchParams({ csrf }) });
}
