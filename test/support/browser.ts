/**
 * What the citizen-facing tests need: a real headless Chromium (playwright-core driving
 * Debian's Chromium, see `findChromium`; playwright never downloads a browser here), and the whole stack
 * of a consent journey: FranceConnect sandbox, demo providers checking the gateway's signed
 * assertions, the gateway, a seeded registry, and a requesting service's redirect URI served by
 * a tiny local server that records what it receives.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

/**
 * Where a Chromium is: `CHROMIUM_PATH` when set, else the first of Debian's and other usual
 * install paths that exists, else null (the browser tests are then skipped, saying how to get
 * one). `.ci/run` installs Debian's, so CI always runs them.
 */
export function findChromium(
  candidates: Array<string | undefined> = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ],
): string | null {
  return (
    candidates
      .filter((p): p is string => typeof p === 'string' && p.length > 0)
      .find((p) => existsSync(p)) ?? null
  );
}

export const CHROMIUM_PATH = findChromium();

/** The one line printed when no browser is found. */
export const NO_CHROMIUM_MESSAGE =
  'browser tests skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)';

/**
 * `describe` when a Chromium is installed, else `describe.skip` after one visible line saying
 * how to get the browser tests (jest also lists them as skipped).
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (CHROMIUM_PATH) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`\n${NO_CHROMIUM_MESSAGE}\n`);
  describe.skip(name, fn);
}

/** Headless Chromium with the flags a sandboxed CI machine needs. */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error(NO_CHROMIUM_MESSAGE);
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

/** The two widths every page is checked at: a desktop and a small phone. */
export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 740 },
] as const;

const AXE_SOURCE = readFileSync(
  join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'),
  'utf8',
);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/** Runs axe-core (WCAG 2.x A/AA rules) in the page; returns its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (...a: unknown[]) => Promise<unknown> } })
      .axe;
    const result = (await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    })) as { violations: AxeViolation[] };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

/**
 * Checks the page as it is at each width: axe-core finds no serious or critical violation, and
 * a full-page screenshot goes to `test/artifacts/<name>-<width>.png`. Leaves the page at the
 * desktop width. Returns every violation (minor and moderate included) for a closer look.
 */
export async function checkPage(page: Page, name: string): Promise<AxeViolation[]> {
  const all: AxeViolation[] = [];
  for (const w of [...WIDTHS].reverse()) {
    await page.setViewportSize({ width: w.width, height: w.height });
    const violations = await axeViolations(page);
    all.push(...violations);
    await page.screenshot({ path: artifactPath(`${name}-${w.width}.png`), fullPage: true });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (serious.length > 0) {
      throw new Error(
        `axe: ${serious.length} serious/critical violation(s) on ${name} at ${w.width} px: ${JSON.stringify(serious, null, 2)}`,
      );
    }
  }
  return all;
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
    // The gateway's demo data-provider credentials are registered too, so that the API
    // FranceConnectée answers as it would in the demo (an unknown token is 401, not 503).
    const fc = await startFranceConnectSandbox({
      clients: [gatewayClient(port, secret)],
      dataProviders: [
        {
          client_id: 'passerelle-demo-data-provider',
          client_secret: 'passerelle-demo-data-provider-secret',
        },
      ],
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
