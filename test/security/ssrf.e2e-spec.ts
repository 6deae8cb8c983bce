/**
 * Adversarial suite — SSRF. Every URL a requesting service or an operator gives and the gateway
 * later calls (notificationUrl, provider base URL, provider token URL, client jwksUri) is refused
 * at registration when it names an internal or metadata target, and again at connection time
 * when its name resolves to one (DNS rebinding).
 *
 * No packet leaves the machine: DNS answers are stubbed (node:dns lookup), and "internal"
 * targets are trap servers on 127.0.0.1 that count every connection they receive: a refusal
 * must come before any connection.
 */
import { jest } from '@jest/globals';
import dns from 'node:dns';
import { createServer, type Server } from 'node:net';
import request from 'supertest';
import { DEMO_CATALOG } from '../../sandbox/providers/catalog.js';
import { ConsentNotifier } from '../../src/consent/consent-notifier.service.js';
import { clientAssertion, postToken, registerKeyClient } from '../support/clients.js';
import {
  consentClient,
  createCitizen,
  createConsentRequest,
  decideAs,
  pendingRequest,
  requestBody,
  seedConsentCatalog,
  type ConsentClient,
} from '../support/consent.js';
import { freePort, startGateway, type TestGateway } from '../support/gateway.js';
import {
  ADMIN,
  operatorApi,
  seedDataset,
  seedHabilitation,
  seedProvider,
  VALID_SIRET,
} from '../support/operator.js';

/** A TCP server on 127.0.0.1 that counts connections and closes them at once. */
async function trap(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Public-looking names that this stub resolves to the loopback (a DNS rebinding). */
const REBOUND = /\.rebind\.example\.fr$/;

const INTERNAL_TARGETS = [
  'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://10.0.0.5/hook',
  'https://192.168.1.10/hook',
  'https://[::ffff:7f00:1]/hook',
  'https://[::ffff:169.254.169.254]/hook',
  'https://[fd00:ec2::254]/latest/meta-data/',
  'https://[fe80::1]/hook',
  'https://[::1]:8443/hook',
  'https://2130706433/hook',
  'https://0x7f.0.0.1/hook',
  'https://224.0.0.1/hook',
  'https://metadata.google.internal/computeMetadata/v1/',
  'https://localhost:8443/hook',
];

describe('security: SSRF', () => {
  let gw: TestGateway;
  let c: ConsentClient;
  let allowedPort: number;
  const traps: Awaited<ReturnType<typeof trap>>[] = [];
  const admin = () => operatorApi(gw);

  beforeAll(async () => {
    allowedPort = await freePort();
    // Only the catalogue's dead provider address and one "internal provider" port are allowed.
    gw = await startGateway({
      OUTBOUND_ALLOW_LIST: `127.0.0.1:9,localhost:${allowedPort}`,
      NOTIFICATION_RETRY_BASE_MS: '10',
    });
    await seedConsentCatalog(gw);
    c = await consentClient(gw);
    const realLookup = dns.lookup.bind(dns) as (...args: unknown[]) => void;
    jest.spyOn(dns, 'lookup').mockImplementation(((
      hostname: string,
      options: unknown,
      callback: (...args: unknown[]) => void,
    ) => {
      if (!REBOUND.test(hostname)) return realLookup(hostname, options, callback);
      const all = typeof options === 'object' && (options as { all?: boolean }).all;
      const address = { address: '127.0.0.1', family: 4 };
      if (all) callback(null, [address]);
      else callback(null, address.address, address.family);
    }) as never);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await gw?.close();
    for (const t of traps) await t.close();
  });

  async function newTrap() {
    const t = await trap();
    traps.push(t);
    return t;
  }

  function expectRefused(res: request.Response, field: string) {
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 400,
      code: 'url_target_forbidden',
    });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors[0].field).toBe(field);
  }

  describe('at registration', () => {
    it.each(INTERNAL_TARGETS)('refuses notificationUrl %s', async (url) => {
      const res = await createConsentRequest(gw, c.token, requestBody(c, { notificationUrl: url }));
      expectRefused(res, 'notificationUrl');
    });

    it('refuses internal provider base URLs and OAuth token URLs', async () => {
      for (const url of INTERNAL_TARGETS) {
        const base = await admin().post(`${ADMIN}/providers`, {
          id: 'ssrf_base',
          name: 'SSRF',
          baseUrl: url.replace(/\/[^/]*$/, ''),
          auth: { kind: 'none' },
        });
        expectRefused(base, 'baseUrl');
        const token = await admin().post(`${ADMIN}/providers`, {
          id: 'ssrf_token',
          name: 'SSRF',
          baseUrl: 'https://api.fournisseur.example.fr',
          auth: {
            kind: 'oauth2_client_credentials',
            tokenUrl: url,
            clientId: 'passerelle',
            clientSecret: 'provider-secret-value',
          },
        });
        expectRefused(token, 'auth.tokenUrl');
      }
      const patch = await admin().patch(`${ADMIN}/providers/cnaf`, {
        baseUrl: 'https://169.254.169.254',
      });
      expectRefused(patch, 'baseUrl');
    });

    it('refuses internal client jwksUri, on creation and on change', async () => {
      for (const url of INTERNAL_TARGETS) {
        const res = await admin().post(`${ADMIN}/clients`, {
          name: 'Service SSRF',
          siret: VALID_SIRET,
          contactEmail: 'dpo@ssrf.example.fr',
          redirectUris: ['https://ssrf.example.fr/cb'],
          authMethod: 'private_key_jwt',
          jwksUri: url,
        });
        expectRefused(res, 'jwksUri');
      }
    });

    it('lets the allow-listed internal provider through, on its port only', async () => {
      const ok = await admin().post(`${ADMIN}/providers`, {
        id: 'internal_ok',
        name: 'Fournisseur interne',
        baseUrl: `http://localhost:${allowedPort}`,
        auth: { kind: 'none' },
      });
      expect(ok.status).toBe(201);
      const other = await admin().post(`${ADMIN}/providers`, {
        id: 'internal_other',
        name: 'Fournisseur interne',
        baseUrl: `http://localhost:${allowedPort === 65535 ? 65534 : allowedPort + 1}`,
        auth: { kind: 'none' },
      });
      expectRefused(other, 'baseUrl');
    });
  });

  describe('at connection time (DNS rebinding)', () => {
    it('does not POST a notification to a name that now resolves to the loopback', async () => {
      const t = await newTrap();
      const req = await pendingRequest(gw, c, {
        notificationUrl: `https://hooks.rebind.example.fr:${t.port}/consent`,
      });
      const citizen = await createCitizen(gw);
      await decideAs(gw, req.id, citizen.id, 'approve');
      await gw.app.get(ConsentNotifier).idle();
      expect(t.connections()).toBe(0);
      const failed = await gw.prisma.auditEvent.findFirst({
        where: { kind: 'notification.failed' },
        orderBy: { occurredAt: 'desc' },
      });
      expect(JSON.stringify(failed?.details)).toContain('internal address refused');
    });

    it('does not call a provider whose name now resolves to the loopback: 502 provider_address_refused', async () => {
      const t = await newTrap();
      await seedProvider(gw, {
        id: 'rebind',
        name: 'Fournisseur rebond',
        baseUrl: `https://cnaf.rebind.example.fr:${t.port}`,
        auth: { kind: 'none' },
      });
      const qf = DEMO_CATALOG.datasets.find((d) => d.id === 'cnaf.quotient_familial')!;
      await seedDataset(gw, { ...qf, id: 'rebind.quotient_familial', providerId: 'rebind' });
      const r = await consentClient(gw, { datasets: ['rebind.quotient_familial'] });
      const req = await pendingRequest(gw, r, { datasets: ['rebind.quotient_familial'] });
      const citizen = await createCitizen(gw);
      const { consentId } = await decideAs(gw, req.id, citizen.id, 'approve');
      const res = await request(gw.url)
        .get(`/api/v1/consents/${consentId}/data/rebind.quotient_familial`)
        .set('Authorization', `Bearer ${r.token}`);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 502,
        code: 'provider_address_refused',
      });
      expect(t.connections()).toBe(0);
    });

    it('does not fetch a client JWKS from a name that now resolves to the loopback', async () => {
      const t = await newTrap();
      const client = await registerKeyClient(gw, {
        jwksUri: `https://keys.rebind.example.fr:${t.port}/jwks.json`,
      });
      await seedHabilitation(gw, {
        clientId: client.clientId,
        datasets: ['cnaf.quotient_familial'],
      });
      const answer = await postToken(gw, {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(gw, client),
      });
      expect({ status: answer.status, error: answer.body.error }).toEqual({
        status: 401,
        error: 'invalid_client',
      });
      expect(t.connections()).toBe(0);
    });
  });
});
