#!/usr/bin/env node
/**
 * `npm start` rebuilds only when a source changed: compares the newest modification time under
 * the compiled folders (and the files that change the build: tsconfig, package, lock, Prisma
 * schema) with the stamp written after the last successful build. No stamp, or anything newer:
 * `npm run build` (which starts from an empty dist/), then a new stamp.
 * Plain JavaScript so that it runs before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const STAMP = join(root, 'dist', '.build-stamp');
const WATCHED = ['src', 'sandbox', 'scripts', 'bench', 'prisma'];
const FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'results' || entry.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const sources = Math.max(
  ...WATCHED.map((d) => newest(join(root, d))),
  ...FILES.map((f) => newest(join(root, f))),
);
const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
if (built > sources && existsSync(join(root, 'dist', 'scripts', 'demo.js'))) {
  process.stdout.write('build: dist/ is up to date with the sources, not rebuilt\n');
  process.exit(0);
}
process.stdout.write(
  built ? 'build: sources changed since the last build, rebuilding\n' : 'build: first build\n',
);
// The stamp carries the time the build STARTED: a source saved during the build is newer.
const startedAt = new Date();
const run = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
utimesSync(STAMP, startedAt, startedAt);
