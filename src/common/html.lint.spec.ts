/**
 * The lint half of "escape by construction": `npm run lint` refuses HTML built outside the
 * html`…` layer, and raw markup without a stated reason. Runs the project's ESLint on a probe.
 */
import { execFileSync } from 'node:child_process';

const PROBE = [
  "import { html, unsafeRawHtml } from '../common/html.js';",
  'export const name = String(Date.now());',
  'export const untagged = `<p>${name}</p>`;', // 3: refused
  'export const concatenated = \'<div class="x">\' + name;', // 4: refused
  'export const tagged = html`<p>${name}</p>`;', // 5: fine
  "export const raw = unsafeRawHtml('<b>');", // 6: refused
  '// eslint-disable-next-line no-restricted-syntax -- a constant of ours',
  "export const rawWithReason = unsafeRawHtml('<b>');", // 8: fine
  "export const notHtml = 'id must be <providerId>.<name>';", // 9: fine
].join('\n');

interface LintMessage {
  line: number;
  ruleId: string | null;
}

describe('lint rule: HTML only through the template layer', () => {
  it('refuses markup in strings and untagged templates, and unexplained raw markup', () => {
    let out: string;
    try {
      out = execFileSync(
        process.execPath,
        [
          'node_modules/eslint/bin/eslint.js',
          '--format',
          'json',
          '--stdin',
          '--stdin-filename',
          'src/citizen/pages/probe.ts',
        ],
        { input: PROBE, encoding: 'utf8' },
      );
    } catch (err) {
      // ESLint exits 1 when it reports errors: its report is still on stdout.
      out = (err as { stdout: string }).stdout;
    }
    const [result] = JSON.parse(out) as Array<{ messages: LintMessage[] }>;
    const refused = [
      ...new Set(
        result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.line),
      ),
    ];
    expect(refused).toEqual([3, 4, 6]);
    expect(result.messages.filter((m) => m.ruleId !== 'no-restricted-syntax')).toEqual([]);
  });
});
