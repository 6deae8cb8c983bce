/**
 * Two gateway processes (`node dist/src/main.js`, production mode) on different ports, sharing
 * one PostgreSQL database and one Redis, as behind a load balancer (same PUBLIC_URL, same
 * secrets). Proves what must hold across instances: a citizen session opened on A works on B,
 * a rate limit counts across both (within its sync bound), a client suspended through A is
 * refused by B on its next request, and a consent revoked through A is refused by B's next fetch
 * (the delay is printed).
 *
 * Runs only with REDIS_URL and DATABASE_URL (CI sets both); every Redis key of the run lives
 * under its own prefix, removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { CookieJar, loginThroughSandbox, request } from '../sandbox/franceconnect/browser.js';
import {
  startFranceConnectSandbox,
  type FranceConnectSandbox,
} from '../sandbox/franceconnect/server.js';
import { startDemoProviders, type DemoProviders } from '../sandbox/providers/server.js';
import { clientToken, type SecretClient } from './support/clients.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { freePort, type TestGateway } from './support/gateway.js';
import {
  operatorApi,
  seedClient,
  seedDemoRegistry,
  seedHabilitation,
  ADMIN,
} from './support/operator.js';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;
const enabled = Boolean(REDIS_URL && DATABASE_URL);
if (!enabled) {
  console.log('scale-out test skipped: it needs REDIS_URL and DATABASE_URL (CI sets both)');
}

/** The build to run (`npm test` builds dist/ first); another one can be named for local runs. */
const DIST = process.env.PASSERELLE_TEST_DIST ?? join(process.cwd(), 'dist');

/** Per instance, over the whole test: the operator seeding and the citizen's pages included. */
const RATE_LIMIT = 40;
/** How often each instance shares its rate-limit counts (short, to keep the test short). */
const RATE_LIMIT_SYNC_MS = 20;
const DATASET = 'cnaf.quotient_familial';

interface Instance {
  name: string;
  url: string;
  proc: ChildProcess;
  output: string[];
}

function startInstance(name: string, port: number, env: Record<string, string>): Instance {
  const proc = spawn(process.execPath, [join(DIST, 'src', 'main.js')], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 100) output.shift();
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { name, url: `http://127.0.0.1:${port}`, proc, output };
}

async function ready(instance: Instance): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (instance.proc.exitCode !== null) break;
    try {
      if ((await fetch(`${instance.url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway ${instance.name} did not start:\n${instance.output.join('')}`);
}

async function stop(instance: Instance | undefined): Promise<void> {
  if (!instance || instance.proc.exitCode !== null) return;
  const exited = new Promise((r) => instance.proc.once('exit', r));
  instance.proc.kill('SIGTERM');
  await exited;
}

function csrfOf(page: { body: string }): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no csrf field in page:\n${page.body.slice(0, 300)}`);
  return token;
}

(enabled ? describe : describe.skip)(
  'two gateway instances on one PostgreSQL and one Redis',
  () => {
    const prefix = `passerelle:${randomBytes(6).toString('hex')}:`;
    let db: TestDatabase;
    let fc: FranceConnectSandbox;
    let providers: DemoProviders;
    let a: Instance;
    let b: Instance;
    /** The operator helpers only need the URL and the operator token. */
    let viaA: TestGateway;
    let client: SecretClient;
    const citizen = new CookieJar();

    beforeAll(async () => {
      // As production runs: migrations as the owner, the gateways as the runtime role.
      db = await createTestDatabase({ roles: true });
      const [portA, portB] = [await freePort(), await freePort()];
      const publicUrl = `http://127.0.0.1:${portA}`;
      const fcSecret = randomBytes(24).toString('base64url');
      fc = await startFranceConnectSandbox({
        host: '127.0.0.1',
        logErrors: false,
        clients: [
          {
            client_id: 'passerelle-scaleout',
            client_secret: fcSecret,
            redirect_uris: [`${publicUrl}/auth/callback`],
            post_logout_redirect_uris: [`${publicUrl}/auth/logged-out`],
          },
        ],
      });
      providers = await startDemoProviders({
        host: '127.0.0.1',
        gatewayJwksUrl: `${publicUrl}/.well-known/jwks.json`,
        gatewayIssuer: publicUrl,
      });
      const env = {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PUBLIC_URL: publicUrl,
        // Plain http on the loopback, as behind a TLS-terminating proxy.
        ALLOW_HTTP_BEHIND_TLS_PROXY: 'true',
        TRUST_PROXY: 'true',
        // The sandboxes listen on this machine.
        OUTBOUND_ALLOW_LIST: 'localhost,127.0.0.1',
        DATABASE_URL: db.url!,
        MIGRATION_DATABASE_URL: db.ownerUrl!,
        REDIS_URL: REDIS_URL!,
        REDIS_KEY_PREFIX: prefix,
        MASTER_KEY: randomBytes(32).toString('base64'),
        OPERATOR_TOKEN: randomBytes(24).toString('base64url'),
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        FC_ISSUER: fc.issuer,
        FC_CLIENT_ID: 'passerelle-scaleout',
        FC_CLIENT_SECRET: fcSecret,
        RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        RATE_LIMIT_SYNC_MS: String(RATE_LIMIT_SYNC_MS),
        // The audit test below asks for many tokens at once.
        RATE_LIMIT_TOKEN_PER_MINUTE: '1000',
        RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: '1000',
      };
      // One after the other: A applies the migrations, B finds them applied.
      a = startInstance('A', portA, env);
      await ready(a);
      b = startInstance('B', portB, env);
      await ready(b);
      viaA = { url: a.url, config: { operatorToken: env.OPERATOR_TOKEN, publicUrl } } as never;
      const registry = await seedDemoRegistry(viaA, providers, {
        habilitation: { allowPeriodic: true, minFetchIntervalSeconds: 0 },
      });
      client = {
        id: registry.client.id,
        clientId: registry.client.clientId,
        clientSecret: registry.client.clientSecret!,
        authMethod: 'client_secret_basic',
      };
    }, 120_000);

    afterAll(async () => {
      await Promise.all([stop(a), stop(b)]);
      await providers?.close();
      await fc?.close();
      await db?.drop();
      const redis = new Redis(REDIS_URL!);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    /** A client's call on one instance (bearer token). */
    const api = (instance: Instance, token: string, path: string) =>
      fetch(`${instance.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

    it('keeps a citizen session opened on A valid on B (sessions live in Redis)', async () => {
      const landed = await loginThroughSandbox(
        `${a.url}/auth/login?returnTo=%2Fme`,
        'angela',
        citizen,
      );
      expect(landed.url).toBe(`${a.url}/me`);
      expect(landed.status).toBe(200);

      // The same cookie, sent to the other instance: B knows the session.
      const onB = await request(citizen, `${b.url}/auth/whoami`);
      expect(onB.status).toBe(200);
      expect(onB.body).toContain('<strong data-given-name>Angela Claire Louise</strong> DUBOIS');
      expect((await request(citizen, `${b.url}/me`)).status).toBe(200);
      expect((await request(citizen, `${b.url}/api/v1/me/consents`)).status).toBe(200);

      // Without the cookie B shows the logged-out landing (FranceConnect's button), not the
      // citizen's space: the session is the cookie's.
      const anonymous = await request(new CookieJar(), `${b.url}/me`);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toContain('<a class="fr-connect" href="/auth/login?returnTo=%2Fme">');
      expect(anonymous.body).not.toContain('data-given-name');

      const redis = new Redis(REDIS_URL!);
      try {
        expect((await redis.keys(`${prefix}session:*`)).length).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });

    it('counts a rate limit across both instances', async () => {
      const seeded = await seedClient(viaA, { clientId: `rl-${randomBytes(4).toString('hex')}` });
      const token = await clientToken(viaA, {
        id: seeded.id,
        clientId: seeded.clientId,
        clientSecret: seeded.clientSecret!,
        authMethod: 'client_secret_basic',
      });
      // Local first: each instance decides on its own count and learns the other's hits at its
      // sync (RATE_LIMIT_SYNC_MS), which follows its next request. Paced beyond the interval,
      // an instance misses at most the other's last request.
      const pace = () => new Promise((r) => setTimeout(r, 3 * RATE_LIMIT_SYNC_MS));
      const remaining: number[] = [];
      for (let i = 0; i < RATE_LIMIT; i++) {
        const res = await api(i % 2 === 0 ? a : b, token, '/api/v1/clients/me');
        expect(res.status).toBe(200);
        remaining.push(Number(res.headers.get('ratelimit-remaining')));
        await pace();
      }
      // One budget: the i-th answer, from either instance, counts the i requests before it, or
      // all but the other instance's last one.
      remaining.forEach((left, i) => {
        expect(left).toBeGreaterThanOrEqual(RATE_LIMIT - 1 - i);
        expect(left).toBeLessThanOrEqual(RATE_LIMIT - i);
      });
      // Neither instance saw more than half of the requests, yet both refuse now, each after
      // letting through at most the one request it received before its sync (the bound).
      const beyond = new Map<Instance, number>([
        [a, 0],
        [b, 0],
      ]);
      for (const instance of [a, b, a, b]) {
        const res = await api(instance, token, '/api/v1/clients/me');
        if (res.status === 200) beyond.set(instance, beyond.get(instance)! + 1);
        await pace();
      }
      expect([...beyond.values()].every((n) => n <= 1)).toBe(true);
      for (const instance of [a, b]) {
        const refused = await api(instance, token, '/api/v1/clients/me');
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(((await refused.json()) as { code: string }).code).toBe('rate_limited');
      }
    });

    it('refuses on B, at its next request, a client suspended through A', async () => {
      const seeded = await seedClient(viaA, { clientId: `susp-${randomBytes(4).toString('hex')}` });
      await seedHabilitation(viaA, { clientId: seeded.clientId, datasets: [DATASET] });
      const token = await clientToken(viaA, {
        id: seeded.id,
        clientId: seeded.clientId,
        clientSecret: seeded.clientSecret!,
        authMethod: 'client_secret_basic',
      });
      // B has seen the client active (and caches that for a few seconds).
      expect((await api(b, token, '/api/v1/clients/me')).status).toBe(200);
      const suspended = await operatorApi(viaA).patch(`${ADMIN}/clients/${seeded.clientId}`, {
        status: 'suspended',
      });
      expect(suspended.status).toBe(200);
      const started = process.hrtime.bigint();
      const next = await api(b, token, '/api/v1/clients/me');
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(next.status).toBe(401);
      console.log(
        `client suspended through A: B refused its next request ${ms.toFixed(1)} ms later`,
      );
    });

    it('refuses on B, at its next fetch, a consent revoked through A', async () => {
      const token = await clientToken(viaA, client);
      const created = await fetch(`${a.url}/api/v1/consent-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          datasets: [DATASET],
          purpose: 'Calcul du tarif de la cantine scolaire',
          durationDays: 30,
          redirectUri: `${a.url}/test-callback`,
          fetchMode: 'periodic',
        }),
      });
      expect(created.status).toBe(201);
      const pending = (await created.json()) as { id: string; consentUrl: string };
      // The citizen is still logged in (first test): the consent page shows at once.
      const page = await request(citizen, pending.consentUrl);
      expect(page.status).toBe(200);
      const decided = await request(citizen, `${a.url}/consent/${pending.id}/decision`, {
        body: new URLSearchParams({ decision: 'approve', csrf: csrfOf(page) }),
      });
      expect(decided.status).toBe(303);
      const status = await api(b, token, `/api/v1/consent-requests/${pending.id}`);
      const { consentId } = (await status.json()) as { consentId: string };
      expect(consentId).toEqual(expect.any(String));

      const fetchOnB = () => api(b, token, `/api/v1/consents/${consentId}/data/${DATASET}`);
      const before = await fetchOnB();
      expect(before.status).toBe(200);
      expect(((await before.json()) as { data: unknown }).data).toBeDefined();

      const me = await request(citizen, `${a.url}/me`);
      const revokeStarted = process.hrtime.bigint();
      const revoked = await request(citizen, `${a.url}/me/consents/${consentId}/revoke`, {
        body: new URLSearchParams({ csrf: csrfOf(me) }),
      });
      expect(revoked.status).toBe(303);
      const revokeAnswered = process.hrtime.bigint();
      const after = await fetchOnB();
      const refusedAt = process.hrtime.bigint();
      expect(after.status).toBe(403);
      const problem = (await after.json()) as { code: string };
      expect(problem.code).toMatch(/revoked|not_active|inactive/);
      const ms = (from: bigint, to: bigint) => `${(Number(to - from) / 1e6).toFixed(1)} ms`;
      // No message between instances is involved: B reads the consent row on every fetch.
      console.log(
        `consent revoked through A: the first fetch on B, sent as soon as A answered the ` +
          `revocation, was refused (${ms(revokeAnswered, refusedAt)} for that fetch; ` +
          `${ms(revokeStarted, refusedAt)} from the revocation request to B's refusal).`,
      );
    });

    it('keeps one linear audit chain while both instances append at once', async () => {
      const form = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
      const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
      const ask = (instance: Instance) =>
        fetch(`${instance.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        }).then((r) => r.status);
      // Every token issued is an audit event: 200 events from two writers racing for the head.
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => ask(i % 2 === 0 ? a : b)),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Token events are written without waiting (recordQuietly): give them a moment. Counted
      // in the database, not through the operator API: its per-address limit here is
      // RATE_LIMIT a minute, which polling on a slow machine used to run out of.
      const owner = new Client({ connectionString: db.ownerUrl });
      await owner.connect();
      const count = async () => {
        const { rows } = await owner.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM audit_event WHERE kind = 'oauth.token_issued' AND client_id = $1`,
          [client.clientId],
        );
        return rows[0].n;
      };
      let events = 0;
      try {
        for (let i = 0; i < 200 && events < 200; i++) {
          events = await count();
          if (events < 200) await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await owner.end();
      }
      expect(events).toBeGreaterThanOrEqual(200);
      for (const instance of [viaA, { ...viaA, url: b.url } as TestGateway]) {
        const verified = await operatorApi(instance).post(`${ADMIN}/audit/verify`);
        expect(verified.status).toBe(200);
        expect(verified.body).toMatchObject({ ok: true });
      }
    });
  },
);
