/**
 * What the README says about Node.js versions is what the project files do: Node 24 LTS is the
 * reference (Docker image, first CI run), Node 20.19+ still works (second CI run), `engines` lists
 * exactly those two, and the running Node is one of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (file: string) => readFileSync(join(process.cwd(), file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const ENGINES = '^20.19.0 || ^24.0.0';

describe('supported Node.js versions', () => {
  it('engines lists exactly the two tested lines, and this run is on one of them', () => {
    expect(pkg.engines.node).toBe(ENGINES);
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major === 24 || (major === 20 && minor >= 19)).toBe(true);
  });

  it('the Docker image builds and runs on node:24-bookworm-slim', () => {
    const froms = read('Dockerfile')
      .split('\n')
      .filter((line) => /^FROM\s/i.test(line))
      .map((line) => line.split(/\s+/)[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(new Set(froms)).toEqual(new Set(['node:24-bookworm-slim']));
  });

  it('CI runs the suite on Node 24 from the npm registry, then on the machine’s Node', () => {
    const ci = read('.ci/run');
    expect(ci).toMatch(/npm pack --silent "\$NODE_PACKAGE@24"/);
    const runs = [...ci.matchAll(/^run_suite (\S+) /gm)].map((m) => m[1]);
    expect(runs).toEqual(['node24', 'machine_node']);
    expect(ci).toMatch(/\[ "\$rc" = 0 \] \|\| status=1/);
  });

  it('the README says the same, and @types/node is the oldest supported line', () => {
    const readme = read('README.md');
    expect(readme).toContain('**Node.js 24 LTS is the reference**');
    expect(readme).toContain(`\`engines\`: \`${ENGINES}\``);
    expect(pkg.devDependencies['@types/node']).toMatch(/^\^20\.19\./);
  });
});
