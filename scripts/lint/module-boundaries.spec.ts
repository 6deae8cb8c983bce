import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The boundary lint (eslint.boundaries.mjs) refuses what issue 13 says it refuses: a deep import
 * into another module, an import that would close a folder cycle, a table read outside a
 * repository, a sandbox imported by product code. Each case is linted as if it were a file at
 * the given path, with the project's real ESLint configuration, in one child process (ESLint
 * loads its configuration with a dynamic import that jest's module system does not run).
 */
const root = process.cwd();

interface Case {
  filePath: string;
  code: string;
}

function lint(cases: Case[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const c of cases) {
      const [result] = await eslint.lintText(c.code, { filePath: c.filePath });
      out.push(result.messages.map((m) => m.ruleId + ': ' + m.message));
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const stdout = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(cases)],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return JSON.parse(stdout) as string[][];
}

describe('module boundary lint', () => {
  it('refuses deep imports, upward imports, table reads outside repositories and sandboxes', () => {
    const use = (name: string) => `\nexport const used = ${name};\n`;
    const [
      deep,
      upward,
      throughIndex,
      prismaInService,
      prismaInRepository,
      generated,
      sandbox,
      rowType,
    ] = lint([
      {
        filePath: 'src/citizen/fixture.ts',
        code: `import { ConsentService } from '../consent/consent.service.js';${use('ConsentService')}`,
      },
      {
        filePath: 'src/registry/fixture.ts',
        code: `import { ConsentModule } from '../consent/index.js';${use('ConsentModule')}`,
      },
      {
        filePath: 'src/citizen/fixture.ts',
        code: `import { ConsentModule } from '../consent/index.js';${use('ConsentModule')}`,
      },
      {
        filePath: 'src/citizen/fixture.service.ts',
        code: `import { PrismaService } from '../database/index.js';${use('PrismaService')}`,
      },
      {
        filePath: 'src/citizen/fixture.repository.ts',
        code: `import { PrismaService } from '../database/index.js';${use('PrismaService')}`,
      },
      {
        filePath: 'src/citizen/fixture.service.ts',
        code: `import { Prisma } from '../generated/prisma/client.js';${use('Prisma')}`,
      },
      {
        filePath: 'src/exchange/fixture.ts',
        code: `import { TEST_CITIZENS } from '../../sandbox/citizens.js';${use('TEST_CITIZENS')}`,
      },
      {
        filePath: 'src/citizen/fixture.service.ts',
        code: `import type { Consent } from '../generated/prisma/client.js';\nexport type Row = Consent;\n`,
      },
    ]);
    expect(deep).toEqual([expect.stringMatching(/^boundaries\/dependencies: module boundary/)]);
    // registry is listed before consent: importing consent would close a cycle.
    expect(upward).toEqual([expect.stringMatching(/^boundaries\/dependencies: module boundary/)]);
    expect(throughIndex).toEqual([]);
    expect(prismaInService).toEqual([expect.stringMatching(/no-restricted-imports: .*repository/)]);
    expect(prismaInRepository).toEqual([]);
    expect(generated).toEqual([expect.stringMatching(/no-restricted-imports: .*repository/)]);
    expect(sandbox).toEqual([expect.stringMatching(/^boundaries\/dependencies: module boundary/)]);
    // A row's type reads no table.
    expect(rowType).toEqual([]);
  });

  it('places every folder of src/ in MODULE_LAYERS, so that none escapes the rule', async () => {
    const stdout = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { MODULE_LAYERS } from './eslint.boundaries.mjs'; process.stdout.write(JSON.stringify(MODULE_LAYERS));`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    const layers = JSON.parse(stdout) as string[];
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'generated')
      .map((entry) => entry.name);
    expect([...layers].sort()).toEqual([...folders].sort());
    // The README's Layout table names the same modules, in the same order.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    const documented = [...layout.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(layers);
  });
});
