/**
 * `npm start` rebuilds only when sources changed (scripts/build-if-stale.mjs), checked on a
 * tiny project in a temporary folder whose `build` script just records that it ran.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(process.cwd(), 'scripts', 'build-if-stale.mjs');

describe('npm start: build only when sources changed', () => {
  let dir: string;
  const builds = () => readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean);
  const start = () => {
    const run = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(0);
    return run.stdout;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-start-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'main.ts'), 'export {};\n');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'src', 'main.ts'), past, past);
    writeFileSync(join(dir, 'builds.log'), '');
    // What `npm run build` does here: an empty dist/ with the demo entry point, and a log line.
    const build =
      "node -e \"const f=require('fs');f.rmSync('dist',{recursive:true,force:true});f.mkdirSync('dist/scripts',{recursive:true});f.writeFileSync('dist/scripts/demo.js','');f.appendFileSync('builds.log','built\\n')\"";
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'x', private: true, scripts: { build } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the first time, not again while nothing changed, again after a source change', async () => {
    expect(start()).toContain('first build');
    expect(builds()).toHaveLength(1);
    expect(start()).toContain('up to date');
    expect(builds()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    // A source saved after that build (stamps carry the build's start time).
    const now = new Date();
    utimesSync(join(dir, 'src', 'main.ts'), now, now);
    expect(start()).toContain('sources changed');
    expect(builds()).toHaveLength(2);
    expect(start()).toContain('up to date');
    expect(builds()).toHaveLength(2);
  });
});
