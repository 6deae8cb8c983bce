/**
 * Outages of the gateway's own dependencies, on PRIVATE servers (test/support/private-servers.ts):
 * a PostgreSQL crashed (`pg_ctl stop -m immediate`) and restarted under a load of fetches.
 * What must hold (issue 10): 503 `database_unavailable` with Retry-After (never 500), one
 * warning line per second at most, no 200 without its audit row, recovery without a restart,
 * and afterwards the chain verifies and every provider call has its outcome.
 * And a private Redis killed under two instances: citizens still log in, open /me and revoke,
 * nothing waits on Redis, a suspension reaches the other instance within a second (through
 * PostgreSQL LISTEN/NOTIFY), readiness reports Redis degraded without failing.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TEST_CITIZENS } from '../sandbox/citizens.js';
import {
  CookieJar,
  loginThroughSandbox,
  request as browse,
} from '../sandbox/franceconnect/browser.js';
import { startDemoProviders, type DemoProviders } from '../sandbox/providers/server.js';
import { AuditService } from '../src/audit/audit.service.js';
import type { IdentityPivot } from '../src/identity/identity.types.js';
import {
  consentClient,
  createCitizen,
  decideAs,
  demoConsentClient,
  pendingRequest,
  seedConsentCatalog,
} from './support/consent.js';
import {
  startGatewayWithFranceConnect,
  type GatewayWithFranceConnect,
} from './support/franceconnect.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { ADMIN, operatorApi } from './support/operator.js';
import {
  postgresUnavailableReason,
  redisUnavailableReason,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './support/private-servers.js';

const CNAF = 'cnaf.quotient_familial';
const pgReason = postgresUnavailableReason();
if (pgReason) console.log(`PostgreSQL outage test skipped: ${pgReason}`);

function identityOf(login: string): IdentityPivot {
  const c = TEST_CITIZENS.find((x) => x.login === login)!;
  const { given_name, family_name, birthdate, gender, birthplace, birthcountry } = c;
  return { given_name, family_name, birthdate, gender, birthplace, birthcountry };
}

interface Answer {
  at: number;
  status: number;
  code?: string;
  retryAfter: string | null;
  requestId: string | null;
}

(pgReason ? describe.skip : describe)('PostgreSQL crash and return under load', () => {
  let pg: PrivatePostgres;
  let gw: TestGateway;
  let providers: DemoProviders;
  let token: string;
  let consentId: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    gw = await startGateway(
      { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'info' },
      { url: pg.url, dataDir: 'memory://', drop: async () => undefined },
    );
    providers = await startDemoProviders({
      gatewayJwksUrl: `${gw.url}/.well-known/jwks.json`,
      gatewayIssuer: gw.config.publicUrl,
    });
    const c = await demoConsentClient(gw, providers, {
      allowPeriodic: true,
      minFetchIntervalSeconds: 0,
    });
    token = c.token;
    const req = await pendingRequest(gw, c, { datasets: [CNAF], fetchMode: 'periodic' });
    const citizen = await createCitizen(gw);
    consentId = (await decideAs(gw, req.id, citizen.id, 'approve', identityOf('angela')))
      .consentId!;
  }, 60_000);

  afterAll(async () => {
    await gw?.close().catch(() => undefined);
    await providers?.close();
    pg?.remove();
  });

  it('answers 503 database_unavailable with Retry-After while it is down, logs one warning a second at most, and serves again without restart', async () => {
    const answers: Answer[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const res = await fetch(`${gw.url}/api/v1/consents/${consentId}/data/${CNAF}`, {
          headers: {
            authorization: `Bearer ${token}`,
            'x-request-id': randomBytes(8).toString('hex'),
          },
        });
        const body = (await res.json()) as { code?: string };
        answers.push({
          at: Date.now(),
          status: res.status,
          code: body.code,
          retryAfter: res.headers.get('retry-after'),
          requestId: res.headers.get('x-request-id'),
        });
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    await new Promise((r) => setTimeout(r, 700));
    const crashedAt = Date.now();
    pg.crash();
    const logsBefore = gw.logs.lines.length;
    await new Promise((r) => setTimeout(r, 2500));
    const restartAt = Date.now();
    pg.start();
    const backAt = Date.now();
    // Until the first 200 after PostgreSQL is back (bounded).
    for (let i = 0; i < 200 && !answers.some((a) => a.at > backAt && a.status === 200); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await load;

    const firstOk = answers.find((a) => a.at > backAt && a.status === 200);
    expect(firstOk).toBeDefined();
    console.log(
      `PostgreSQL outage: ${answers.length} answers; first 200 ${firstOk!.at - backAt} ms after ` +
        `PostgreSQL accepted connections again (restart took ${backAt - restartAt} ms)`,
    );
    // Generous bound (the issue's figure is 250 ms; a loaded CI machine gets slack).
    expect(firstOk!.at - backAt).toBeLessThan(5000);

    const others = answers.filter((a) => a.status !== 200);
    const during = answers.filter((a) => a.at > crashedAt + 200 && a.at < restartAt);
    expect(during.length).toBeGreaterThan(0);
    // Never a 500: a retryable 503 with Retry-After, database_unavailable while it is down
    // (a fetch whose audit write was under way when the server died says audit_unavailable).
    expect(
      others
        .filter(
          (a) =>
            a.status !== 503 ||
            !a.retryAfter ||
            !['database_unavailable', 'audit_unavailable'].includes(a.code!),
        )
        .map((a) => `${a.status} ${a.code} ${a.retryAfter}`),
    ).toEqual([]);
    expect(during.filter((a) => a.code === 'database_unavailable').length).toBeGreaterThan(0);

    // One warning line per second at most, and no "unhandled error".
    const lines = gw.logs.lines.slice(logsBefore).map((l) => JSON.parse(l) as { msg: string });
    const outageLines = lines.filter((l) => l.msg.startsWith('database unavailable'));
    const seconds = (Date.now() - crashedAt) / 1000;
    expect(outageLines.length).toBeGreaterThan(0);
    expect(outageLines.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(lines.filter((l) => l.msg === 'unhandled error')).toEqual([]);

    // No 200 without its audit row; the chain verifies; every provider call has an outcome
    // (outcomes held back during the outage are written once the database is back).
    const ok = answers.filter((a) => a.status === 200).map((a) => a.requestId!);
    const audit = gw.app.get(AuditService);
    for (let i = 0; i < 100 && audit.backlogSize > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = await gw.prisma.auditEvent.findMany({
      where: { kind: 'exchange.fetch', requestId: { in: ok } },
      select: { requestId: true },
    });
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(ok.length);
    expect(await audit.verify()).toMatchObject({ ok: true });
    expect(await audit.callsWithoutOutcome()).toMatchObject({ count: 0 });
  }, 60_000);
});

const redisReason =
  redisUnavailableReason() ??
  (process.env.DATABASE_URL ? null : 'needs DATABASE_URL (two instances on one database)');
if (redisReason) console.log(`Redis outage test skipped: ${redisReason}`);

(redisReason ? describe.skip : describe)('Redis down, two instances on one database', () => {
  let redis: PrivateRedis;
  let env: GatewayWithFranceConnect;
  let a: TestGateway;
  let b: TestGateway;
  const prefix = `passerelle:${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await startGatewayWithFranceConnect({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    a = env.gateway;
    // B: same database, secrets, public address and FranceConnect registration as A.
    const fc = a.config.franceConnect;
    b = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: '100000',
        PUBLIC_URL: a.config.publicUrl,
        MASTER_KEY: a.config.masterKey.toString('base64'),
        OPERATOR_TOKEN: a.config.operatorToken,
        SESSION_SECRET: a.config.sessionSecret,
        FC_ISSUER: fc.issuer,
        FC_CLIENT_ID: fc.clientId,
        FC_CLIENT_SECRET: fc.clientSecret,
        FC_REDIRECT_URI: fc.redirectUri,
        FC_POST_LOGOUT_REDIRECT_URI: fc.postLogoutRedirectUri,
      },
      a.database,
    );
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await env?.close();
    redis?.remove();
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  }

  it('keeps login, /me, revocation and suspensions working, and readiness says degraded', async () => {
    await seedConsentCatalog(a);
    const c = await consentClient(a);
    // B has seen the client active (its client-status cache holds that for a few seconds).
    const me = (gw: TestGateway) =>
      fetch(`${gw.url}/api/v1/clients/me`, { headers: { authorization: `Bearer ${c.token}` } });
    expect((await me(b)).status).toBe(200);
    expect(
      ((await (await fetch(`${a.url}/health/ready`)).json()) as { details: object }).details,
    ).toMatchObject({ redis: { status: 'up' } });

    redis.stop();
    const slow: string[] = [];
    const note = (what: string, ms: number) => {
      // Generous: a request may wait for Redis 250 ms at most, plus its own work.
      if (ms > 1000) slow.push(`${what}: ${ms.toFixed(0)} ms`);
    };

    // Readiness: 200, Redis reported degraded. The gateway learns that Redis is gone when its
    // connection closes, a few milliseconds after the kill: asked at once, readiness may still
    // say up, so it is asked again (every 50 ms, 2 s at most) until it says degraded.
    const readiness = async () => {
      const answer = await timed(() => fetch(`${a.url}/health/ready`));
      return { ...answer, body: (await answer.value.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    let ready = await readiness();
    for (let i = 0; i < 40 && ready.body.status !== 'degraded'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await readiness();
    }
    expect(ready.value.status).toBe(200);
    const readyBody = ready.body;
    expect(readyBody.status).toBe('degraded');
    expect(readyBody.details.redis.status).toBe('degraded');
    expect(readyBody.details.database.status).toBe('up');
    note('readiness', ready.ms);

    // A citizen logs in and opens /me (the session lives in PostgreSQL meanwhile).
    const jar = new CookieJar();
    const login = await timed(() =>
      loginThroughSandbox(`${a.url}/auth/login?returnTo=/me`, 'angela', jar),
    );
    expect(login.value.status).toBe(200);
    expect(login.value.url).toBe(`${a.url}/me`);
    const citizen = await a.prisma.citizen.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    const req = await pendingRequest(a, c);
    const { consentId } = await decideAs(a, req.id, citizen.id, 'approve');
    // The session is also read on B (shared PostgreSQL).
    const page = await timed(() => browse(jar, `${b.url}/me`));
    expect(page.value.status).toBe(200);
    expect(page.value.body).toContain(`data-consent="${consentId}" data-status="active"`);
    note('/me', page.ms);

    // ... and revokes.
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.value.body)![1];
    const revoke = await timed(() =>
      browse(jar, `${b.url}/me/consents/${consentId}/revoke`, {
        body: new URLSearchParams({ csrf }),
      }),
    );
    expect(revoke.value.status).toBe(303);
    note('revocation', revoke.ms);
    expect((await a.prisma.consent.findUniqueOrThrow({ where: { id: consentId! } })).status).toBe(
      'revoked',
    );

    // An operator suspends the client through A: answered without waiting for Redis, and B
    // refuses the client within a second (the invalidation went through PostgreSQL).
    const suspend = await timed(() =>
      operatorApi(a).patch(`${ADMIN}/clients/${c.client.clientId}`, { status: 'suspended' }),
    );
    expect(suspend.value.status).toBe(200);
    note('suspension', suspend.ms);
    const suspendedAt = performance.now();
    let refusedAfter = Infinity;
    while (performance.now() - suspendedAt < 3000) {
      if ((await me(b)).status === 401) {
        refusedAfter = performance.now() - suspendedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(
      `Redis down: login ${login.ms.toFixed(0)} ms (whole FranceConnect round), /me ${page.ms.toFixed(0)} ms, ` +
        `revocation ${revoke.ms.toFixed(0)} ms, suspension ${suspend.ms.toFixed(0)} ms, ` +
        `refused by B ${refusedAfter.toFixed(0)} ms after`,
    );
    expect(refusedAfter).toBeLessThan(1000);
    expect(slow).toEqual([]);

    // Redis back: readiness says so again, without a restart.
    redis.start();
    let redisUp = false;
    for (let i = 0; i < 100 && !redisUp; i++) {
      const body = (await (await fetch(`${a.url}/health/ready`)).json()) as {
        details: { redis: { status: string } };
      };
      redisUp = body.details.redis.status === 'up';
      if (!redisUp) await new Promise((r) => setTimeout(r, 50));
    }
    expect(redisUp).toBe(true);

    // Redis hangs (accepts, answers nothing): a command gives up after 250 ms and the
    // connection is dropped, so the requests that follow do not wait at all.
    redis.pause();
    const waits: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const page = await timed(() => browse(jar, `${b.url}/me`));
        expect(page.value.status).toBe(200);
        waits.push(page.ms);
      }
    } finally {
      redis.resume();
    }
    console.log(`Redis hung: /me answered in ${waits.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    // The first one waited for Redis (250 ms per command at most); the next ones did not. Without
    // the dropped connection each /me waits out three command timeouts (≥ 750 ms, ~0.77 s here):
    // the bound sits below two of them, leaving a loaded machine its slack.
    expect(waits[0]).toBeLessThan(1000);
    expect(Math.max(...waits.slice(1))).toBeLessThan(500);

    const audit = a.app.get(AuditService);
    expect(await audit.verify()).toMatchObject({ ok: true });
    expect(await audit.callsWithoutOutcome()).toMatchObject({ count: 0 });
  }, 60_000);
});
