import { CLIENT_STATUS_TTL_MS } from './client-status.cache.js';
import { type SecretClient, VERIFIED_SECRET_TTL_MS, VerifiedSecrets } from './verified-secrets.js';

const client: SecretClient = {
  id: '7d1f6c1e-0000-4000-8000-000000000001',
  clientId: 'mairie',
  status: 'active',
  authMethod: 'client_secret_basic',
  secretHash: 'scrypt$32768$8$1$salt$hash',
};
const T0 = 1_000_000;

describe('VerifiedSecrets', () => {
  it('keeps a keyed digest: not the secret, not its plain SHA-256, different per process', () => {
    const a = new VerifiedSecrets();
    const b = new VerifiedSecrets();
    expect(a.digest('s3cret').equals(a.digest('s3cret'))).toBe(true);
    expect(a.digest('s3cret').equals(b.digest('s3cret'))).toBe(false);
    expect(a.digest('s3cret').equals(a.digest('s3creT'))).toBe(false);
  });

  it('recalls the client for the verified secret only, while its row is fresh', () => {
    const secrets = new VerifiedSecrets();
    const digest = secrets.digest('right');
    secrets.remember(client, digest, secrets.generation, T0);
    expect(secrets.recall('mairie', digest, T0 + 1)).toEqual(client);
    expect(secrets.recall('mairie', secrets.digest('wrong'), T0 + 1)).toBeNull();
    expect(secrets.recall('other', digest, T0 + 1)).toBeNull();
    expect(secrets.recall('mairie', digest, T0 + CLIENT_STATUS_TTL_MS)).toBeNull();
  });

  it('spares scrypt for a re-read row with the same hash only, and for a minute at most', () => {
    const secrets = new VerifiedSecrets();
    const digest = secrets.digest('right');
    secrets.remember(client, digest, secrets.generation, T0);
    const later = T0 + CLIENT_STATUS_TTL_MS + 1;
    expect(secrets.confirm({ ...client, secretHash: 'rotated' }, digest, 0, later)).toBe(false);
    expect(secrets.confirm(client, secrets.digest('wrong'), 0, later)).toBe(false);
    expect(secrets.confirm(client, digest, 0, T0 + VERIFIED_SECRET_TTL_MS)).toBe(false);
    const suspended = { ...client, status: 'suspended' };
    expect(secrets.confirm(suspended, digest, 0, later)).toBe(true);
    // The confirmed row replaces the remembered one.
    expect(secrets.recall('mairie', digest, later + 1)?.status).toBe('suspended');
  });

  it('forgets a client on invalidation, and a verification begun before it is not kept', () => {
    const secrets = new VerifiedSecrets();
    const digest = secrets.digest('right');
    secrets.remember(client, digest, secrets.generation, T0);
    const begun = secrets.generation;
    secrets.invalidate('mairie');
    expect(secrets.recall('mairie', digest, T0 + 1)).toBeNull();
    secrets.remember(client, digest, begun, T0 + 2);
    expect(secrets.recall('mairie', digest, T0 + 3)).toBeNull();
    secrets.remember(client, digest, secrets.generation, T0 + 4);
    expect(secrets.recall('mairie', digest, T0 + 5)).toEqual(client);
    secrets.invalidateAll();
    expect(secrets.recall('mairie', digest, T0 + 6)).toBeNull();
  });

  it('holds a bounded number of clients, dropping the least recently verified', () => {
    const secrets = new VerifiedSecrets();
    const digest = secrets.digest('right');
    for (let i = 0; i <= 1_000; i += 1) {
      secrets.remember({ ...client, clientId: `c${i}` }, digest, secrets.generation, T0);
    }
    expect(secrets.recall('c0', digest, T0 + 1)).toBeNull();
    expect(secrets.recall('c1', digest, T0 + 1)).not.toBeNull();
    expect(secrets.recall('c1000', digest, T0 + 1)).not.toBeNull();
  });
});
