/**
 * Module boundaries of src/ (issue 13), checked by `npm run lint` through eslint-plugin-boundaries.
 *
 * - Every folder of src/ is a module. Another module may import only its `index.ts` (its public
 *   surface), never a file inside it.
 * - MODULE_LAYERS orders the modules: a module may import only modules listed before it. The
 *   folder graph is therefore acyclic by construction; an import that would close a cycle is an
 *   import "upwards" and fails the lint. Moving a module in this list is the design decision to
 *   discuss, not the import.
 * - The app's composition root (src/*.ts) may import every module's index.
 * - Tables: PrismaService and the generated Prisma client are for a module's repositories
 *   (`*.repository.ts`) and the database module only (see prismaRestrictions below).
 */
import boundaries from 'eslint-plugin-boundaries';
import { fileURLToPath, URL } from 'node:url';

const resolver = fileURLToPath(new URL('./scripts/lint/resolve-ts.cjs', import.meta.url));

export const MODULE_LAYERS = [
  'common',
  'config',
  'database',
  'signing',
  'events',
  'health',
  'audit',
  'page-shell',
  'identity',
  'registry',
  'oauth',
  'ratelimit',
  'consent',
  'exchange',
  'citizen',
  'france-connect-data',
];

const sameModule = (name) => ({ element: { type: 'module', captured: { name } } });
const indexOf = (names) => ({
  element: {
    type: 'module',
    captured: { name: names.length === 1 ? names[0] : `{${names.join(',')}}` },
    fileInternalPath: 'index.ts',
  },
});

const modulePolicies = MODULE_LAYERS.map((name, rank) => ({
  from: { element: { type: 'module', captured: { name } } },
  allow: {
    to: rank === 0 ? [sameModule(name)] : [sameModule(name), indexOf(MODULE_LAYERS.slice(0, rank))],
  },
}));

export const moduleBoundaries = {
  files: ['src/**/*.ts', 'sandbox/**/*.ts'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { [resolver]: {} },
    'boundaries/include': ['src/**/*.ts', 'sandbox/**/*.ts'],
    'boundaries/elements': [
      { type: 'generated', pattern: 'src/generated' },
      { type: 'module', pattern: 'src/*', capture: ['name'] },
      { type: 'sandbox', pattern: 'sandbox' },
    ],
    'boundaries/files': [{ category: 'app', pattern: 'src/*.ts' }],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        message:
          'module boundary: a module imports its own files and the index.ts of modules listed before it in MODULE_LAYERS (eslint.boundaries.mjs); a sandbox imports only sandboxes',
        policies: [
          ...modulePolicies,
          {
            from: { file: { categories: 'app' } },
            allow: { to: [indexOf(MODULE_LAYERS), { file: { categories: 'app' } }] },
          },
          // The generated Prisma client: see prismaRestrictions (repositories and database only).
          { allow: { to: { element: { type: 'generated' } } } },
          // The sandboxes stand in for FranceConnect and the providers: they import each other and,
          // for their pages, only the template layer (src/common/html.ts), nothing of the product.
          {
            from: { element: { type: 'sandbox' } },
            allow: {
              to: [
                { element: { type: 'sandbox' } },
                {
                  element: {
                    type: 'module',
                    captured: { name: 'common' },
                    fileInternalPath: 'html.ts',
                  },
                },
              ],
            },
          },
          // Specs may read the sandboxes' fixtures; product code never imports a sandbox.
          {
            from: { file: { path: '**/*.spec.ts' } },
            allow: { to: { element: { type: 'sandbox' } } },
          },
        ],
      },
    ],
  },
};

/**
 * A module's tables are read and written by its repositories only (`*.repository.ts`, as in
 * Immich's server/src/repositories); other modules go through its exported services. So the
 * database handle (PrismaService) and the generated Prisma client (its values: Prisma.sql,
 * PrismaClient) are refused everywhere else in src/ but the database module itself.
 */
const TABLES_MESSAGE =
  'tables are reached through a repository (*.repository.ts) of the module that owns them; other code calls that module';
export const prismaRestrictions = {
  files: ['src/**/*.ts'],
  ignores: ['src/database/**', 'src/**/*.repository.ts', 'src/generated/**'],
  rules: {
    // Type-only imports stay allowed: a row's type reads no table (and Nest cannot inject a
    // PrismaService imported as a type).
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['**/generated/prisma/**'], message: TABLES_MESSAGE, allowTypeImports: true },
          {
            group: ['**/database/index.js'],
            importNames: ['PrismaService'],
            message: TABLES_MESSAGE,
            allowTypeImports: true,
          },
        ],
      },
    ],
  },
};
