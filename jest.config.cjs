/**
 * Jest runs in native-ESM mode: NestJS 12's packages are ESM only, and jest's CommonJS runtime
 * cannot require() them on Node 20 ("Must use import to load ES Module").
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/sandbox', '<rootDir>/scripts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  testTimeout: 60000,
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
