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
    expect(landed.body).toContain('cnaf.quotient_familial (HTTP 200)');
    expect(landed.body).toContain('DUBOIS');
  });

  it('stops on SIGTERM with status 0 and keeps everything across a restart', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8'));
    demo!.child.kill('SIGTERM');
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
    // The consent approved before the restart is still there, with its audit trail.
    const audit = await fetch(`${after.gateway}/api/v1/admin/audit?kind=consent.approved`, {
      headers: { authorization: `Bearer ${after.operatorToken}` },
    }).then((r) => r.json());
    expect(audit.items).toHaveLength(1);
    const verify = await fetch(`${after.gateway}/api/v1/admin/audit/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${after.operatorToken}` },
    }).then((r) => r.json());
    expect(verify.ok).toBe(true);
  });
});
