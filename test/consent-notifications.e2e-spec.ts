/**
 * Notifications to a request's `notificationUrl`, received by a real local HTTP server: the
 * body is signed with a detached JWS that plain jose verifies against the published JWKS (the
 * payload re-attached), failures are retried with backoff (shortened here through
 * NOTIFICATION_RETRY_BASE_MS), a delivery never holds up the citizen, and a delivery that never
 * succeeds is audited.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, flattenedVerify, type JSONWebKeySet } from 'jose';
import { ConsentLifecycleService } from '../src/consent/consent-lifecycle.service.js';
import { ConsentNotifier, NOTIFICATION_ATTEMPTS } from '../src/consent/consent-notifier.service.js';
import { ConsentService } from '../src/consent/consent.service.js';
import { withEnvironmentProxy } from './support/env-proxy.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import {
  consentClient,
  createCitizen,
  decideAs,
  pendingRequest,
  seedConsentCatalog,
  type ConsentClient,
} from './support/consent.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A client's notification endpoint; each path behaves in its own way. */
class Receiver {
  readonly received: Received[] = [];
  private readonly hits = new Map<string, number>();
  private readonly held: ServerResponse[] = [];
  private readonly waiters: Array<{ path: string; count: number; resolve: () => void }> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const n = (this.hits.get(path) ?? 0) + 1;
        this.hits.set(path, n);
        this.received.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        this.answer(path, n, res);
        for (const w of this.waiters.filter((w) => w.path === path && n >= w.count)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(path: string, n: number, res: ServerResponse): void {
    if (path.startsWith('/ok')) res.writeHead(204).end();
    else if (path.startsWith('/flaky')) res.writeHead(n <= 2 ? 503 : 200).end('{}');
    else if (path.startsWith('/down')) res.writeHead(500).end();
    else if (path.startsWith('/gone')) res.writeHead(410).end();
    else if (path.startsWith('/redirect'))
      res.writeHead(302, { Location: `${this.url}/ok/redirected` }).end();
    else if (path.startsWith('/hang')) this.held.push(res);
    else res.writeHead(404).end();
  }

  /** Resolves once `path` has been hit `count` times. */
  hit(path: string, count = 1): Promise<void> {
    if ((this.hits.get(path) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ path, count, resolve }));
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Whether a held (unanswered) request is still waiting for our answer. */
  holding(): number {
    return this.held.filter((r) => !r.writableEnded).length;
  }

  releaseHeld(): void {
    for (const res of this.held.splice(0)) if (!res.writableEnded) res.writeHead(204).end();
  }

  async close(): Promise<void> {
    this.releaseHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('consent notifications', () => {
  let gw: TestGateway;
  let notifier: ConsentNotifier;
  let consents: ConsentService;
  let receiver: Receiver;
  let c: ConsentClient;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    gw = await startGateway({ NOTIFICATION_RETRY_BASE_MS: '20' });
    notifier = gw.app.get(ConsentNotifier);
    consents = gw.app.get(ConsentService);
    receiver = new Receiver();
    await receiver.start();
    await seedConsentCatalog(gw);
    c = await consentClient(gw);
    jwks = createLocalJWKSet(
      (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
    );
  });

  afterAll(async () => {
    await receiver?.close();
    await notifier?.idle();
    await gw?.close();
  });

  /** Verifies X-Passerelle-Signature over the exact body bytes with plain jose and the JWKS. */
  async function verifySignature(r: Received, body = r.body) {
    const header = r.headers['x-passerelle-signature'];
    if (typeof header !== 'string') throw new Error('no signature header');
    const [protectedHeader, detached, signature] = header.split('.');
    expect(detached).toBe('');
    return flattenedVerify(
      {
        protected: protectedHeader,
        payload: Buffer.from(body, 'utf8').toString('base64url'),
        signature,
      },
      jwks,
      { algorithms: ['ES256'] },
    );
  }

  it('approval: a signed event verifiable with the JWKS; the tampered body is not', async () => {
    const req = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/ok/approve` });
    const citizen = await createCitizen(gw);
    const { consentId } = await decideAs(gw, req.id, citizen.id, 'approve');
    await notifier.idle();
    const [got] = receiver.at('/ok/approve');
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    const event = JSON.parse(got.body);
    expect(event).toEqual({
      type: 'approved',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      clientId: c.client.clientId,
      consentRequestId: req.id,
      consentId,
      occurredAt: expect.any(String),
    });
    const { protectedHeader } = await verifySignature(got);
    expect(protectedHeader).toMatchObject({
      alg: 'ES256',
      typ: 'passerelle-notification+jws',
      kid: expect.any(String),
    });
    await expect(verifySignature(got, got.body.replace('approved', 'denied'))).rejects.toThrow();
    await expect(verifySignature(got, got.body.replace(req.id, randomUUID()))).rejects.toThrow();
  });

  it('goes straight to the notificationUrl, never through an environment proxy', async () => {
    await withEnvironmentProxy({ status: 204, body: '' }, async (proxy) => {
      const req = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/ok/direct` });
      const citizen = await createCitizen(gw);
      await decideAs(gw, req.id, citizen.id, 'approve');
      await notifier.idle();
      expect([receiver.at('/ok/direct').length, proxy.hits()]).toEqual([1, 0]);
    });
  });

  it('refusal and later revocation are notified too', async () => {
    const denied = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/ok/deny` });
    const citizen = await createCitizen(gw);
    await decideAs(gw, denied.id, citizen.id, 'deny');
    const approved = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/ok/revoke` });
    const { consentId } = await decideAs(gw, approved.id, citizen.id, 'approve');
    await consents.revokeByCitizen(consentId!, citizen.id);
    await notifier.idle();
    const deny = JSON.parse(receiver.at('/ok/deny')[0].body);
    expect(deny).toMatchObject({ type: 'denied', consentRequestId: denied.id });
    expect(deny.consentId).toBeUndefined();
    expect(receiver.at('/ok/revoke').map((r) => JSON.parse(r.body).type)).toEqual([
      'approved',
      'revoked',
    ]);
    for (const r of [...receiver.at('/ok/deny'), ...receiver.at('/ok/revoke')])
      await verifySignature(r);
  });

  it('expiry (of a consent and of a pending request) is notified by the lifecycle job', async () => {
    const citizen = await createCitizen(gw);
    const req = await pendingRequest(gw, c, {
      notificationUrl: `${receiver.url}/ok/expire-consent`,
    });
    const { consentId } = await decideAs(gw, req.id, citizen.id, 'approve');
    const lonely = await pendingRequest(gw, c, {
      notificationUrl: `${receiver.url}/ok/expire-request`,
    });
    await gw.prisma.consent.update({
      where: { id: consentId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await gw.prisma.consentRequest.update({
      where: { id: lonely.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await gw.app.get(ConsentLifecycleService).tick();
    await notifier.idle();
    const types = receiver.at('/ok/expire-consent').map((r) => JSON.parse(r.body));
    expect(types.map((e) => e.type)).toEqual(['approved', 'expired']);
    expect(types[1]).toMatchObject({ consentId, consentRequestId: req.id });
    const requestExpired = JSON.parse(receiver.at('/ok/expire-request')[0].body);
    expect(requestExpired).toMatchObject({ type: 'expired', consentRequestId: lonely.id });
    expect(requestExpired.consentId).toBeUndefined();
  });

  it('retries a failing receiver with the same signed bytes until it answers', async () => {
    const req = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/flaky` });
    const citizen = await createCitizen(gw);
    await decideAs(gw, req.id, citizen.id, 'approve');
    await notifier.idle();
    const attempts = receiver.at('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1); // one event, one eventId
    expect(new Set(attempts.map((a) => a.headers['x-passerelle-signature'])).size).toBe(1);
    await verifySignature(attempts[2]);
    expect(await gw.prisma.auditEvent.count({ where: { kind: 'notification.failed' } })).toBe(0);
  });

  it('gives up after 5 attempts (or at once on a definitive 4xx) and audits notification.failed', async () => {
    const citizen = await createCitizen(gw);
    const down = await pendingRequest(gw, c, {
      notificationUrl: `${receiver.url}/down?token=client-secret`,
    });
    const gone = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/gone` });
    const redirected = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/redirect` });
    await decideAs(gw, down.id, citizen.id, 'deny');
    await decideAs(gw, gone.id, citizen.id, 'deny');
    await decideAs(gw, redirected.id, citizen.id, 'deny');
    await notifier.idle();
    expect(receiver.at('/down?token=client-secret')).toHaveLength(NOTIFICATION_ATTEMPTS);
    expect(receiver.at('/gone')).toHaveLength(1);
    // Redirects are not followed (the 3xx counts as a failure, retried).
    expect(receiver.at('/ok/redirected')).toHaveLength(0);
    const failed = await gw.prisma.auditEvent.findMany({ where: { kind: 'notification.failed' } });
    const byRequest = new Map(
      failed.map((f) => [(f.details as { consentRequestId: string }).consentRequestId, f]),
    );
    expect(byRequest.get(down.id)).toMatchObject({
      clientId: c.client.clientId,
      outcome: 'failure',
      details: expect.objectContaining({ type: 'denied', error: 'HTTP 500', origin: receiver.url }),
    });
    expect(JSON.stringify(byRequest.get(down.id)?.details)).not.toContain('client-secret');
    expect(byRequest.get(gone.id)).toMatchObject({
      details: expect.objectContaining({ error: 'HTTP 410' }),
    });
    expect(byRequest.has(redirected.id)).toBe(true);
  });

  it('never holds up the citizen: the decision returns while the receiver has not answered', async () => {
    const req = await pendingRequest(gw, c, { notificationUrl: `${receiver.url}/hang` });
    const citizen = await createCitizen(gw);
    const arrived = receiver.hit('/hang');
    const decided = await decideAs(gw, req.id, citizen.id, 'approve');
    expect(new URL(decided.redirectUrl).searchParams.get('status')).toBe('approved');
    await arrived;
    expect(receiver.holding()).toBe(1); // the notification is still waiting for its answer
    receiver.releaseHeld();
    await notifier.idle();
  });
});
