import { randomBytes, randomUUID } from 'node:crypto';
import { decrypt } from '../common/index.js';
import { openSealedIdentity, sealIdentity } from './identity-sealing.js';

const identity = {
  given_name: 'Angela Claire Louise',
  family_name: 'DUBOIS',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '75107',
  birthcountry: '99100',
  email: 'angela.dubois@example.fr',
  preferred_username: 'DUBOIS',
};

describe('identity sealing (crypto-shredding)', () => {
  const master = randomBytes(32);

  it('round-trips the six pivot claims only', () => {
    const id = randomUUID();
    const sealed = sealIdentity(master, id, identity);
    const { email: _e, preferred_username: _p, ...pivot } = identity;
    expect(openSealedIdentity(master, id, sealed)).toEqual(pivot);
    expect(sealed.identityCiphertext).not.toContain('DUBOIS');
  });

  it('a fresh key per consent: the same identity seals differently', () => {
    const a = sealIdentity(master, randomUUID(), identity);
    const b = sealIdentity(master, randomUUID(), identity);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(a.identityCiphertext).not.toBe(b.identityCiphertext);
  });

  it('without the wrapped key nothing opens: not the master key, not another consent’s key', () => {
    const id = randomUUID();
    const sealed = sealIdentity(master, id, identity);
    expect(() => openSealedIdentity(master, id, { ...sealed, wrappedKey: null })).toThrow();
    expect(() => decrypt(master, sealed.identityCiphertext, `consent:${id}`)).toThrow();
    const other = sealIdentity(master, randomUUID(), identity);
    expect(() =>
      openSealedIdentity(master, id, { ...sealed, wrappedKey: other.wrappedKey }),
    ).toThrow();
  });

  it('a ciphertext moved to another consent id does not open (associated data)', () => {
    const id = randomUUID();
    const sealed = sealIdentity(master, id, identity);
    expect(() => openSealedIdentity(master, randomUUID(), sealed)).toThrow();
    expect(() => openSealedIdentity(randomBytes(32), id, sealed)).toThrow();
  });
});
