import type { JsonWebKey } from 'node:crypto';
import {
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
} from 'jose';
import { Es256Signer } from './es256-signer.js';

/**
 * Every form Es256Signer produces (JWT with and without `typ`, arbitrary compact payload,
 * detached JWS) verifies with jose against the public key alone, and a changed byte anywhere
 * does not. The gateway's verifiers (SigningKeyService.verify, providers, clients) are jose or
 * any other JOSE library: this is what they see.
 */
describe('Es256Signer', () => {
  let signer: Es256Signer;
  let publicJwk: JWK;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    publicJwk = await exportJWK(publicKey);
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    signer = new Es256Signer('k1', privateJwk as JsonWebKey);
  });

  const publicKey = () => importJWK(publicJwk, 'ES256');

  it('signs JWTs that jose verifies, header as jose would write it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://gw', sub: 'c1', aud: 'prov', iat: now, exp: now + 60, x: 'é' };
    const jwt = signer.signJson(claims, 'at+jwt');
    const { payload, protectedHeader } = await jwtVerify(jwt, await publicKey(), {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      issuer: 'https://gw',
      audience: 'prov',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
    expect(payload).toEqual(claims);

    const untyped = signer.signJson({ iss: 'https://gw', iat: now });
    expect(decodeProtectedHeader(untyped)).toEqual({ alg: 'ES256', kid: 'k1' });
    await expect(
      jwtVerify(untyped, await publicKey(), { algorithms: ['ES256'] }),
    ).resolves.toBeTruthy();
  });

  it('signs compact and detached payloads that jose verifies', async () => {
    const body = new TextEncoder().encode('{"event":"consent.revoked"}');
    const compact = signer.signCompact(body, 'x+jws');
    const verified = await compactVerify(compact, await publicKey(), { algorithms: ['ES256'] });
    expect(Buffer.from(verified.payload).equals(Buffer.from(body))).toBe(true);

    const detached = signer.signDetached(body, 'x+jws');
    const [header, empty, signature] = detached.split('.');
    expect(empty).toBe('');
    const rebuilt = `${header}.${Buffer.from(body).toString('base64url')}.${signature}`;
    await expect(
      compactVerify(rebuilt, await publicKey(), { algorithms: ['ES256'] }),
    ).resolves.toBeTruthy();
  });

  it('signatures are 64-byte r||s (RFC 7518 §3.4), fresh each time (ECDSA is randomized)', () => {
    const a = signer.signJson({ n: 1 }).split('.')[2];
    const b = signer.signJson({ n: 1 }).split('.')[2];
    expect(Buffer.from(a, 'base64url')).toHaveLength(64);
    expect(a).not.toBe(b);
  });

  it('a changed payload, header or signature no longer verifies', async () => {
    const jwt = signer.signJson({ sub: 'c1', scope: 'a' });
    const [h, p, s] = jwt.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ sub: 'c2', scope: 'a' })).toString(
      'base64url',
    );
    const otherHeader = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k2' })).toString(
      'base64url',
    );
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] ^= 1;
    for (const forged of [
      `${h}.${otherPayload}.${s}`,
      `${otherHeader}.${p}.${s}`,
      `${h}.${p}.${flipped.toString('base64url')}`,
    ]) {
      await expect(
        jwtVerify(forged, await publicKey(), { algorithms: ['ES256'] }),
      ).rejects.toThrow();
    }
  });

  it('refuses a key that is not P-256', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const jwk = await exportJWK(privateKey);
    expect(() => new Es256Signer('k', jwk as JsonWebKey)).toThrow('P-256');
  });
});
