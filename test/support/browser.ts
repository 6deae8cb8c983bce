/**
 * What the citizen-facing tests need: a real headless Chromium (playwright-core driving
 * Debian's `/usr/bin/chromium`; playwright never downloads a browser here), and the whole stack
 * of a consent journey: FranceConnect sandbox, demo providers checking the gateway's signed
 * assertions, the gateway, a seeded registry, and a requesting service's redirect URI served by
 * a tiny local server that records what it receives.
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import {
  startFranceConnectSandbox,
  type FranceConnectSandbox,
} from '../../sandbox/franceconnect/server.js';
import { startDemoProviders, type DemoProviders } from '../../sandbox/providers/server.js';
import { clientToken } from './clients.js';
import { franceConnectEnv, gatewayClient } from './franceconnect.js';
import type { Env } from '../../src/config/app-config.js';
import { freePort, startGateway, type TestGateway } from './gateway.js';
import { seedDemoRegistry, type ClientInput, type DemoRegistry } from './operator.js';
import { randomBytes } from 'node:crypto';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless Debian Chromium with the flags a sandboxed CI machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** `test/artifacts/<name>` (git-ignored), the folder created if needed. */
export function artifactPath(name: string): string {
  const dir = join(process.cwd(), 'test', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** A requesting service's redirect URI endpoint: answers a small page, remembers every hit. */
export interface RecordingClient {
  /** `http://localhost:<port>` */
  origin: string;
  /** The registered redirect URI: `<origin>/retour` */
  redirectUri: string;
  /** Every request URL received, absolute, oldest first. */
  hits: URL[];
  close(): Promise<void>;
}

export async function startRecordingClient(): Promise<RecordingClient> {
  const hits: URL[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', origin));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!DOCTYPE html><html lang="fr"><title>Service</title><h1>Retour au service</h1></html>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    redirectUri: `${origin}/retour`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ConsentRequestBody {
  datasets?: string[];
  purpose?: string;
  durationDays?: number;
  redirectUri?: string;
  state?: string;
  fetchMode?: 'once' | 'periodic';
}

export interface CreatedConsentRequest {
  id: string;
  status: string;
  consentUrl: string;
  expiresAt: string;
}

export interface CitizenStack {
  gw: TestGateway;
  fc: FranceConnectSandbox;
  providers: DemoProviders;
  registry: DemoRegistry;
  service: RecordingClient;
  /** A fresh access token of the seeded client. */
  token(): Promise<string>;
  /** POST /api/v1/consent-requests as the seeded client; throws unless 201. */
  createRequest(body?: ConsentRequestBody): Promise<CreatedConsentRequest>;
  /** GET as the seeded client (Bearer), JSON body. */
  clientGet(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Everything a citizen journey needs, wired together. The demo providers verify the gateway's
 * assertions against its JWKS (pointed at once the gateway's URL is known).
 */
export async function startCitizenStack(
  options: { client?: Partial<ClientInput>; purpose?: string; env?: Env } = {},
): Promise<CitizenStack> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const service = await startRecordingClient();
    closers.push(() => service.close());
    const providers = await startDemoProviders();
    closers.push(() => providers.close());

    const port = await freePort();
    const secret = randomBytes(24).toString('base64url');
    const fc = await startFranceConnectSandbox({
      clients: [gatewayClient(port, secret)],
      logErrors: false,
    });
    closers.push(() => fc.close());
    const gw = await startGateway({
      ...franceConnectEnv(fc.issuer, secret),
      ...options.env,
      PORT: String(port),
    });
    closers.push(() => gw.close());
    providers.setGatewayJwksUrl(`${gw.url}/.well-known/jwks.json`, gw.config.publicUrl);

    const registry = await seedDemoRegistry(gw, providers, {
      client: { redirectUris: [service.redirectUri], ...options.client },
      habilitation: options.purpose ? { purpose: options.purpose } : {},
    });
    const client = registry.client;
    // One token reused for a minute (they live 5): the token endpoint is rate-limited per
    // client, and a test run makes many client calls.
    let cached: { value: string; until: number } | null = null;
    const token = async () => {
      if (cached && cached.until > Date.now()) return cached.value;
      const value = await clientToken(gw, {
        id: client.id,
        clientId: client.clientId,
        clientSecret: client.clientSecret ?? '',
        authMethod: 'client_secret_basic',
      });
      cached = { value, until: Date.now() + 60_000 };
      return value;
    };
    const createRequest = async (body: ConsentRequestBody = {}) => {
      const res = await fetch(`${gw.url}/api/v1/consent-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          datasets: ['cnaf.quotient_familial'],
          purpose: options.purpose ?? 'Calcul du tarif de la restauration scolaire',
          durationDays: 30,
          redirectUri: service.redirectUri,
          state: randomBytes(12).toString('hex'),
          ...body,
        }),
      });
      const json = (await res.json()) as CreatedConsentRequest;
      if (res.status !== 201)
        throw new Error(`consent request refused: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const clientGet = async (path: string) => {
      const res = await fetch(`${gw.url}${path}`, {
        headers: { authorization: `Bearer ${await token()}` },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    return { gw, fc, providers, registry, service, token, createRequest, clientGet, close };
  } catch (err) {
    await close();
    throw err;
  }
}
