import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { moduleBoundaries, prismaRestrictions } from './eslint.boundaries.mjs';

/** An HTML tag (or doctype) in source text: what the rule below looks for. */
const HTML_TAG =
  '/<(!doctype|\\/?(a|abbr|b|body|br|button|caption|code|dd|details|div|dl|dt|em|fieldset|footer|form|h[1-6]|head|header|hr|html|i|img|input|label|legend|li|link|main|meta|nav|ol|p|pre|section|small|span|strong|style|summary|table|tbody|td|th|thead|time|title|tr|ul|script|iframe|svg)(\\s|>|\\/>|$))/i';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/generated/**',
      'test/generated/**',
      'coverage/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // Views escape by construction (src/common/html.ts): HTML is written only as html`…`
    // templates, which escape what they interpolate. Markup in a plain string or an untagged
    // template would be built outside that layer; raw markup goes through unsafeRawHtml, each
    // use with an eslint-disable comment giving its reason.
    // The providers sandbox serves JSON APIs and no page (its only HTML is a fake reverse
    // proxy's fixed 503 body), so it is left out.
    files: ['src/**/*.ts', 'sandbox/**/*.ts'],
    ignores: ['**/*.spec.ts', 'sandbox/providers/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `:not(TaggedTemplateExpression) > TemplateLiteral > TemplateElement[value.raw=${HTML_TAG}]`,
          message:
            'HTML in an untagged template literal: write it as html`…` (src/common/html.ts).',
        },
        {
          selector: `Literal[value=${HTML_TAG}]`,
          message: 'HTML in a string: write it as html`…` (src/common/html.ts).',
        },
        {
          selector: "CallExpression[callee.name='unsafeRawHtml']",
          message: 'Raw markup: say why it is safe in an eslint-disable comment on this line.',
        },
      ],
    },
  },
  {
    // Settings are read and validated once, by loadConfig (src/config), from main.ts's env.
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            'Inject AppConfig (APP_CONFIG) instead: loadConfig validates every setting once.',
        },
      ],
    },
  },
  moduleBoundaries,
  prismaRestrictions,
);
