import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { keyedPayloadDigest, leafTag, tagKeyId } from './payload-digest.js';

/** The formulas as the README states them, written out independently. */
describe('keyed audit digests (README: "The audit log")', () => {
  const masterKey = randomBytes(32);
  const key = (info: string) =>
    Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));

  it('payload digest = "hmac-sha256:" ‖ HMAC-SHA-256(HKDF(MASTER_KEY, info v1), canonical JSON)', () => {
    const data = { montant: 1186, statut: 'allocataire', enfants: [{ b: 2, a: 1 }] };
    const expected = createHmac('sha256', key('passerelle/audit-payload-digest/v1'))
      .update(canonicalJson(data))
      .digest('hex');
    expect(keyedPayloadDigest(masterKey, data)).toBe(`hmac-sha256:${expected}`);
    // Confirms nothing to a reader without the key: not the plain SHA-256, not another key's.
    const plain = createHash('sha256').update(canonicalJson(data)).digest('hex');
    expect(keyedPayloadDigest(masterKey, data)).not.toContain(plain);
    expect(keyedPayloadDigest(randomBytes(32), data)).not.toBe(keyedPayloadDigest(masterKey, data));
  });

  it('leaf tag = HMAC-SHA-256(HKDF(MASTER_KEY, leaf-tag info), "<index>:<leaf hash hex>")', () => {
    const leaf = randomBytes(32).toString('hex');
    const expected = createHmac('sha256', key('passerelle/audit-leaf-tag/v1'))
      .update(`41:${leaf}`)
      .digest('hex');
    expect(leafTag(masterKey, 41, leaf)).toBe(expected);
    expect(leafTag(masterKey, 42, leaf)).not.toBe(expected);
    // The checkpoint's tag_key: first 16 hex of HMAC-SHA-256(K', "key-check").
    expect(tagKeyId(masterKey)).toBe(
      createHmac('sha256', key('passerelle/audit-leaf-tag/v1'))
        .update('key-check')
        .digest('hex')
        .slice(0, 16),
    );
  });
});
