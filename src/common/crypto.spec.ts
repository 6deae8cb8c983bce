import { randomBytes } from 'node:crypto';
import { decryptString, encrypt, hashSecret, safeEqual, verifySecret } from './crypto.js';

describe('crypto', () => {
  const key = randomBytes(32);

  it('round-trips and refuses another key, another context or a flipped byte', () => {
    const sealed = encrypt(key, 'api-key-123', 'provider:cnaf');
    expect(sealed).not.toContain('api-key-123');
    expect(decryptString(key, sealed, 'provider:cnaf')).toBe('api-key-123');
    expect(() => decryptString(randomBytes(32), sealed, 'provider:cnaf')).toThrow();
    expect(() => decryptString(key, sealed, 'provider:dgfip')).toThrow();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[0] ^= 1;
    parts[3] = ct.toString('base64url');
    expect(() => decryptString(key, parts.join('.'), 'provider:cnaf')).toThrow();
  });

  it('hashes secrets with scrypt and verifies only the right one', async () => {
    const stored = await hashSecret('s3cret-value');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    await expect(verifySecret('s3cret-value', stored)).resolves.toBe(true);
    await expect(verifySecret('s3cret-valuf', stored)).resolves.toBe(false);
    await expect(verifySecret('s3cret-value', 'plain')).resolves.toBe(false);
  });

  it('compares strings in constant time, whatever their lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
