import { ConfigError, loadConfig } from './app-config.js';

const PROD = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/passerelle',
  MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  OPERATOR_TOKEN: 'o'.repeat(32),
  SESSION_SECRET: 's'.repeat(40),
  PUBLIC_URL: 'https://passerelle.example.gouv.fr',
  FC_ISSUER: 'https://fcp-low.integ01.dev-franceconnect.fr/api/v2',
  FC_CLIENT_ID: 'abc',
  FC_CLIENT_SECRET: 'def',
};

function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('accepts a complete production configuration', () => {
    const config = loadConfig(PROD);
    expect(config.mode).toBe('production');
    expect(config.franceConnect.redirectUri).toBe(
      'https://passerelle.example.gouv.fr/auth/callback',
    );
    expect(config.masterKey).toHaveLength(32);
    expect(config.auditLog).toEqual({ checkpointIntervalMs: 5000, witnessUrl: undefined });
    expect(config.migrationDatabaseUrl).toBeUndefined();
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: undefined }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['MASTER_KEY', { MASTER_KEY: 'c2hvcnQ=' }],
    ['OPERATOR_TOKEN', { OPERATOR_TOKEN: undefined }],
    ['PUBLIC_URL', { PUBLIC_URL: 'not a url' }],
    ['FC_ISSUER', { FC_ISSUER: 'ftp://x' }],
    ['PORT', { PORT: 'eighty' }],
    ['FC_SCOPES', { FC_SCOPES: 'email' }],
    // The README promises a checkpoint at most 10 s apart while the audit log grows.
    ['AUDIT_CHECKPOINT_INTERVAL_MS', { AUDIT_CHECKPOINT_INTERVAL_MS: '10001' }],
    ['AUDIT_WITNESS_URL', { AUDIT_WITNESS_URL: 'file:///tmp/witness' }],
    ['MIGRATION_DATABASE_URL', { MIGRATION_DATABASE_URL: 'mysql://x' }],
  ])('names %s when it is wrong or missing', (setting, patch) => {
    const err = errorOf({ ...PROD, ...patch });
    expect(err.setting).toBe(setting);
    expect(err.message).toMatch(new RegExp(`^configuration error: ${setting} `));
    expect(err.message).not.toContain('\n');
  });
});
