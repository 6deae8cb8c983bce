import { KeyObject, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { jwtClaims, signCompactEs256 } from './signing-key.service.js';

/** SigningKeyService.sign builds JWTs without jose: they must be exactly what SignJWT makes. */
describe('signCompactEs256 + jwtClaims', () => {
  const issuer = 'https://passerelle.example.gouv.fr';

  async function both(payload: JWTPayload, options: Parameters<typeof jwtClaims>[2]) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const header = { alg: 'ES256', kid: 'k1', typ: 'passerelle-assertion+jwt' };
    const now = Math.floor(Date.now() / 1000);
    const ours = signCompactEs256(
      header,
      jwtClaims(payload, issuer, options, now),
      KeyObject.from(privateKey as webcrypto.CryptoKey),
    );
    // What the service did before, with jose.
    const jwt = new SignJWT(payload).setProtectedHeader(header).setIssuer(issuer);
    if (payload.iat === undefined) jwt.setIssuedAt(now);
    if (options.expiresInSeconds !== undefined)
      jwt.setExpirationTime(now + options.expiresInSeconds);
    if (options.audience !== undefined) jwt.setAudience(options.audience);
    if (options.subject !== undefined) jwt.setSubject(options.subject);
    const theirs = await jwt.sign(privateKey);
    return { ours, theirs, publicKey };
  }

  it.each([
    [
      { consent_id: 'c', dataset: 'cnaf.quotient_familial', jti: 'j' },
      { audience: 'cnaf', expiresInSeconds: 60 },
    ],
    [
      { client_id: 'a', scope: 'x y', iat: 1700000000, nbf: 1700000000, jti: 'j' },
      { audience: issuer, subject: 'a', expiresInSeconds: 300 },
    ],
    // A payload that already has `iss` and `sub`: they keep their place, ours wins for iss.
    [{ sub: 'first', iss: 'someone', z: 1, a: [1, 'é', { n: null }] }, { subject: 'override' }],
    [{ aud: ['x', 'y'] }, { audience: ['p', 'q'] }],
  ])('signs the same header and claims bytes as jose SignJWT (%#)', async (payload, options) => {
    const { ours, theirs, publicKey } = await both(payload, options);
    expect(ours.split('.').slice(0, 2)).toEqual(theirs.split('.').slice(0, 2));
    // ECDSA signatures are randomized: check ours verifies, with jose, as ES256.
    const { payload: verified, protectedHeader } = await jwtVerify(ours, publicKey, {
      algorithms: ['ES256'],
      issuer,
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'k1', typ: 'passerelle-assertion+jwt' });
    expect(verified.iss).toBe(issuer);
    expect(Buffer.from(ours.split('.')[2], 'base64url')).toHaveLength(64);
  });

  it('makes signatures that no longer verify once tampered with', async () => {
    const { ours, publicKey } = await both({ a: 1 }, {});
    const [h, p, sig] = ours.split('.');
    const bad = Buffer.from(sig, 'base64url');
    bad[10] ^= 1;
    await expect(jwtVerify(`${h}.${p}.${bad.toString('base64url')}`, publicKey)).rejects.toThrow();
    expect(await exportJWK(publicKey)).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });
});
