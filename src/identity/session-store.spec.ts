import { randomBytes } from 'node:crypto';
import type { SessionData } from 'express-session';
import { SessionCipher } from './session-store.js';

describe('SessionCipher', () => {
  const cipher = new SessionCipher(randomBytes(32));
  const data = {
    cookie: {
      originalMaxAge: 1800000,
      expires: new Date().toISOString(),
      httpOnly: true,
      path: '/',
    },
    citizenId: 'c1',
    identity: { given_name: 'Hélène Éloïse', family_name: 'LEFÈVRE-DURAND' },
  } as unknown as SessionData;

  it('seals a session so that nothing of it reads in clear, and opens it for the same sid', () => {
    const sealed = cipher.seal('sid-1', data);
    // Needles long enough that random ciphertext cannot hold them by chance (a three-letter one
    // did, once in about a thousand runs).
    const ciphertext = Buffer.from(sealed.split('.')[3], 'base64url');
    for (const clear of ['LEFÈVRE-DURAND', 'Hélène', 'citizenId', 'given_name']) {
      expect(sealed).not.toContain(clear);
      expect(ciphertext.includes(Buffer.from(clear, 'utf8'))).toBe(false);
    }
    expect(cipher.open('sid-1', sealed)).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('does not open a sealed session under another sid, another key, or once edited', () => {
    const sealed = cipher.seal('sid-1', data);
    expect(cipher.open('sid-2', sealed)).toBeNull();
    expect(new SessionCipher(randomBytes(32)).open('sid-1', sealed)).toBeNull();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[0] ^= 1;
    parts[3] = ct.toString('base64url');
    expect(cipher.open('sid-1', parts.join('.'))).toBeNull();
    expect(cipher.open('sid-1', undefined)).toBeNull();
    expect(cipher.open('sid-1', { citizenId: 'c1' })).toBeNull();
  });
});
