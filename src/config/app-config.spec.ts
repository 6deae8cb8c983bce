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

  describe('API FranceConnectée (Passerelle as a FranceConnect data provider)', () => {
    it('is off in production until FC_DATA_PROVIDER_CLIENT_ID is set', () => {
      expect(loadConfig(PROD).franceConnectData).toBeNull();
      const on = loadConfig({
        ...PROD,
        FC_DATA_PROVIDER_CLIENT_ID: 'dp',
        FC_DATA_PROVIDER_CLIENT_SECRET: 'secret',
      }).franceConnectData;
      expect(on).toMatchObject({
        clientId: 'dp',
        clientSecret: 'secret',
        checktokenUrl: 'https://fcp-low.integ01.dev-franceconnect.fr/api/v2/checktoken',
        timeoutMs: 3000,
        encryptionKey: null,
      });
    });

    it('needs the secret with the client id, and a private EC P-256 JWK as encryption key', () => {
      expect(errorOf({ ...PROD, FC_DATA_PROVIDER_CLIENT_ID: 'dp' }).setting).toBe(
        'FC_DATA_PROVIDER_CLIENT_SECRET',
      );
      const dp = { ...PROD, FC_DATA_PROVIDER_CLIENT_ID: 'dp', FC_DATA_PROVIDER_CLIENT_SECRET: 's' };
      for (const bad of [
        'not json',
        '{"kty":"RSA"}',
        '{"kty":"EC","crv":"P-256","x":"a","y":"b"}',
      ]) {
        expect(errorOf({ ...dp, FC_DATA_PROVIDER_ENCRYPTION_KEY: bad }).setting).toBe(
          'FC_DATA_PROVIDER_ENCRYPTION_KEY',
        );
      }
    });

    it('is on in demo mode, with a generated encryption key', () => {
      const config = loadConfig({ PASSERELLE_MODE: 'demo', DATA_DIR: 'memory://x' });
      expect(config.franceConnectData?.clientId).toBe('passerelle-demo-data-provider');
      expect(config.franceConnectData?.encryptionKey).toMatchObject({ kty: 'EC', crv: 'P-256' });
    });
  });

  it.each([
    ['PUBLIC_URL', { PUBLIC_URL: 'http://passerelle.example.gouv.fr' }],
    ['FC_ISSUER', { FC_ISSUER: 'http://fcp-low.integ01.dev-franceconnect.fr/api/v2' }],
    // The escape hatch alone is not enough: it needs the proxy that terminates TLS.
    [
      'ALLOW_HTTP_BEHIND_TLS_PROXY',
      { PUBLIC_URL: 'http://passerelle.example.gouv.fr', ALLOW_HTTP_BEHIND_TLS_PROXY: 'true' },
    ],
  ])('refuses plain http for %s in production, in one line', (setting, patch) => {
    const err = errorOf({ ...PROD, ...patch });
    expect(err.setting).toBe(setting);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/https|TRUST_PROXY/);
  });

  it('accepts http in production only with ALLOW_HTTP_BEHIND_TLS_PROXY and TRUST_PROXY', () => {
    const config = loadConfig({
      ...PROD,
      PUBLIC_URL: 'http://passerelle.internal',
      FC_ISSUER: 'http://franceconnect:3100/api/v2',
      ALLOW_HTTP_BEHIND_TLS_PROXY: 'true',
      TRUST_PROXY: 'true',
    });
    expect(config.allowHttpBehindTlsProxy).toBe(true);
    expect(loadConfig(PROD).allowHttpBehindTlsProxy).toBe(false);
  });
});
