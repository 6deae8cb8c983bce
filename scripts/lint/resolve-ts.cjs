/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: eslint-module-utils loads resolvers with require() */
/**
 * Import resolver for the boundary lint (eslint-plugin-boundaries, eslint.boundaries.mjs): our
 * TypeScript sources import each other as `./x.js` (NodeNext), which eslint's node resolver
 * cannot map to `./x.ts`. Relative imports are mapped here; packages stay external.
 */
const { existsSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

function resolveTs(source, file) {
  if (!source.startsWith('.')) return { found: false };
  const base = resolve(dirname(file), source);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, resolve(base, 'index.ts')];
  const found = candidates.find((candidate) => existsSync(candidate));
  return found ? { found: true, path: found } : { found: false };
}

module.exports = { interfaceVersion: 2, resolve: resolveTs };
