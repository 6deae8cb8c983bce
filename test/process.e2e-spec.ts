/**
 * The built gateway as operators run it (`node dist/src/main.js`): start-up errors and
 * graceful shutdown are properties of the process, so they are tested on a real process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { freePort } from './support/gateway.js';

const MAIN = 'dist/src/main.js';

function run(env: Record<string, string>): {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  child: ReturnType<typeof spawn>;
} {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('the gateway process', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error('run `npm run build` first (npm test does)');
  });

  it('stops with one line naming a missing production setting, and no stack trace', async () => {
    const { done } = run({ NODE_ENV: 'production', OPERATOR_TOKEN: 'x'.repeat(30) });
    const { code, stderr } = await done;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'passerelle: configuration error: PUBLIC_URL is required',
    ]);
  });

  it('exits 0 on SIGTERM after closing the database', async () => {
    const port = await freePort();
    const { child, done } = run({
      DATA_DIR: 'memory://',
      PORT: String(port),
      HOST: 'localhost',
      LOG_LEVEL: 'info',
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://localhost:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('gateway did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGTERM');
    const { code, stdout } = await done;
    expect(code).toBe(0);
    expect(stdout).toContain('SIGTERM received');
    expect(stdout).toContain('database closed');
  });

  it('npm run openapi writes a valid OpenAPI 3 document with the whole API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      const child = spawn(process.execPath, ['dist/scripts/openapi.js', file], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/oauth/token',
          '/api/v1/consent-requests',
          '/api/v1/consents/{id}/data/{datasetId}',
          '/api/v1/admin/providers',
          '/api/v1/me/consents',
        ]),
      );
      await expect(SwaggerParser.validate(doc)).resolves.toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
