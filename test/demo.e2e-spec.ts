/**
 * The README's first command, as a newcomer runs it: the demo launcher (built) starts the
 * gateway with its sandboxes, a citizen clicks through the demo service's journey, and a
 * restart on the same data folder keeps everything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CookieJar,
  loginThroughSandbox,
  navigate,
  request,
} from '../sandbox/franceconnect/browser.js';
import { decideInBrowser } from './support/consent.js';
import { freePort, freePortRange } from './support/gateway.js';

const LAUNCHER = 'dist/scripts/demo.js';

interface Demo {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startDemo(env: Record<string, string>): Demo {
  let out = '';
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitFor(demo: Demo, text: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!demo.output().includes(text)) {
    if (demo.child.exitCode !== null) throw new Error(`demo exited early:\n${demo.output()}`);
    if (Date.now() > deadline) throw new Error(`demo did not print "${text}":\n${demo.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start (demo launcher)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-demo-'));
  let env: Record<string, string>;
  let demo: Demo | undefined;

  beforeAll(async () => {
    if (!existsSync(LAUNCHER)) throw new Error('run `npm run build` first (npm test does)');
    const [port, fcPort, servicePort, witnessPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const providersBase = await freePortRange(4);
    env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      FC_ISSUER: `http://localhost:${fcPort}/api/v2`,
      DEMO_PROVIDERS_BASE_PORT: String(providersBase),
      DEMO_SERVICE_PORT: String(servicePort),
      DEMO_WITNESS_PORT: String(witnessPort),
    };
  });
  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGTERM');
      await demo.exit;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, seeds the registry and writes demo.json', async () => {
    demo = startDemo(env);
    await waitFor(demo, 'listening on');
    const info = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining([
        'gateway',
        'franceconnect',
        'providers',
        'operatorToken',
        'client',
        'datasets',
        'citizens',
      ]),
    );
    expect(info.citizens.map((c: { login: string }) => c.login)).toEqual(
      expect.arrayContaining(['angela', 'helene', 'karim', 'lucas', 'camille', 'pierre']),
    );
    expect(Object.keys(info.providers).sort()).toEqual(['cnaf', 'dgfip', 'france_travail', 'mesr']);
    const ready = await fetch(`${info.gateway}/health/ready`);
    expect(ready.status).toBe(200);
    const docs = await fetch(`${info.gateway}/docs-json`).then((r) => r.json());
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining(['/api/v1/consent-requests', '/oauth/token']),
    );
  });

  it('lets a citizen click through the demo service: consent, approval, data shown', async () => {
    const info = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    const serviceUrl = new URL(info.client.redirect_uri).origin;
    const jar = new CookieJar();
    const start = await request(jar, `${serviceUrl}/start`, {
      method: 'POST',
      body: new URLSearchParams([
        ['datasets', 'cnaf.quotient_familial'],
        ['purpose', 'Aide au logement'],
        ['durationDays', '30'],
      ]),
    });
    expect(start.status).toBe(303);
    const page = await loginThroughSandbox(start.location!, 'angela', jar);
    expect(page.url).toMatch(/\/consent\/[0-9a-f-]{36}$/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1];
    const landed = await navigate(jar, `${page.url}/decision`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, decision: 'approve' }),
    });
    expect(landed.url).toContain(`${serviceUrl}/callback?consent_request=`);
    expect(landed.body).toContain('status=approved');
    expect(landed.body).toContain('state reconnu');
    expect(landed.body).toContain('Merci, vos justificatifs ont été reçus');
    expect(landed.body).toContain('Réponse de l’API (HTTP 200)');
    expect(landed.body).toContain('DUBOIS');
  });

  it('runs the API FranceConnectée from the demo service’s "Se connecter avec FranceConnect" button', async () => {
    const info = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    expect(info.fcServiceProvider).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      redirect_uri: expect.stringMatching(/\/fc-callback$/),
      scopes: expect.arrayContaining(['openid', 'cnaf_quotient_familial']),
    });
    const serviceUrl = new URL(info.client.redirect_uri).origin;
    const home = await fetch(serviceUrl).then((r) => r.text());
    expect(home).toContain('Se connecter avec FranceConnect');
    const jar = new CookieJar();
    const start = await request(jar, `${serviceUrl}/fc/start`, { method: 'POST' });
    expect(start.status).toBe(303);
    const landed = await loginThroughSandbox(start.location!, 'karim', jar);
    expect(landed.url).toContain(`${serviceUrl}/fc-callback?`);
    // Karim is known to DGFiP (and France Travail), not to CNAF.
    expect(landed.body).toContain('dgfip.avis_imposition (HTTP 200)');
    expect(landed.body).toContain('BENALI');
    expect(landed.body).toContain('cnaf.quotient_familial (HTTP 404)');
    // And he sees it at /me, via FranceConnect.
    const me = await loginThroughSandbox(`${info.gateway}/auth/login?returnTo=/me`, 'karim', jar);
    expect(me.body).toContain('via FranceConnect');
    expect(me.body).toContain('dgfip_avis_imposition');
  });

  it('stops on SIGTERM with status 0, after the fetch in flight got its data, and keeps everything across a restart', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    // A periodic consent approved by angela, then a fetch in flight on a slow provider when
    // the launcher is stopped: it drains the gateway before it stops the providers it hosts.
    const basic = Buffer.from(`${before.client.client_id}:${before.client.client_secret}`);
    const token = (
      await fetch(`${before.gateway}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic.toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      }).then((r) => r.json())
    ).access_token as string;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${before.gateway}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    const created = await (
      await api('/api/v1/consent-requests', {
        method: 'POST',
        body: JSON.stringify({
          datasets: ['cnaf.quotient_familial'],
          purpose: 'Aide au logement',
          durationDays: 30,
          redirectUri: before.client.redirect_uri,
          fetchMode: 'periodic',
        }),
      })
    ).json();
    const decided = await decideInBrowser(
      created.consentUrl,
      'angela',
      'approve',
      new URL(before.client.redirect_uri).origin,
    );
    expect(decided.decision.location).toContain('status=approved');
    const { consentId } = await (await api(`/api/v1/consent-requests/${created.id}`)).json();
    const slow = await fetch(`${before.providers.cnaf}/__sandbox/mode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-sandbox-token': before.providersSandboxToken,
      },
      body: JSON.stringify({ mode: 'slow', delayMs: 1500 }),
    });
    expect(slow.status).toBe(200);
    const inFlight = api(`/api/v1/consents/${consentId}/data/cnaf.quotient_familial`);
    await new Promise((r) => setTimeout(r, 500));
    demo!.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.stringify(await answer.json())).toContain('DUBOIS');
    expect(await demo!.exit).toBe(0);
    // The witness holds the checkpoint signed at shutdown, outside the database; the log
    // verifies against it.
    const witnessFile = join(dataDir, 'witness.jsonl');
    expect(before.auditWitness.file).toBe(witnessFile);
    const lines = readFileSync(witnessFile, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]).treeSize).toBeGreaterThan(0);
    const verified = spawnSync(
      process.execPath,
      ['dist/scripts/audit-verify.js', '--checkpoint', witnessFile],
      { env: { PATH: process.env.PATH, DATA_DIR: dataDir }, encoding: 'utf8' },
    );
    expect(verified.stdout).toContain('audit log consistent with the checkpoint');
    expect(verified.status).toBe(0);
    demo = startDemo(env);
    await waitFor(demo, 'listening on');
    const after = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    expect(after.client.client_id).toBe(before.client.client_id);
    expect(after.operatorToken).toBe(before.operatorToken);
    // The consents approved before the restart are still there, with their audit trail, and
    // the fetch served during the stop is on record.
    const audit = await fetch(`${after.gateway}/api/v1/admin/audit?kind=consent.approved`, {
      headers: { authorization: `Bearer ${after.operatorToken}` },
    }).then((r) => r.json());
    expect(audit.items).toHaveLength(2);
    const served = await fetch(
      `${after.gateway}/api/v1/admin/audit?kind=exchange.fetch&consentId=${consentId}`,
      { headers: { authorization: `Bearer ${after.operatorToken}` } },
    ).then((r) => r.json());
    expect(served.items.map((e: { outcome: string }) => e.outcome)).toEqual(['ok']);
    const verify = await fetch(`${after.gateway}/api/v1/admin/audit/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${after.operatorToken}` },
    }).then((r) => r.json());
    expect(verify.ok).toBe(true);
  });
});
