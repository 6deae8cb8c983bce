/**
 * The payload digest the audit log keeps of each answer it let through. Keyed, so that reading
 * the audit table confirms nothing about an answer (a guessed status or amount) to anyone
 * without the key:
 *   payload_digest = "hmac-sha256:" ‖ hex(HMAC-SHA-256(K, canonical JSON of the data)),
 *   K = HKDF-SHA-256(MASTER_KEY, salt = "", info = "passerelle/audit-payload-digest/v1", 32 bytes).
 * Rows written before keyed digests hold a bare 64-hex SHA-256 of the same canonical JSON; the
 * prefix names the algorithm of each row (both are covered by the chain and the tree).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const KEYED_DIGEST_PREFIX = 'hmac-sha256:';
const INFO = 'passerelle/audit-payload-digest/v1';

const keys = new WeakMap<Buffer, Buffer>();

export function payloadDigestKey(masterKey: Buffer): Buffer {
  let key = keys.get(masterKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), INFO, 32));
    keys.set(masterKey, key);
  }
  return key;
}

export function keyedPayloadDigest(masterKey: Buffer, data: unknown): string {
  return (
    KEYED_DIGEST_PREFIX +
    createHmac('sha256', payloadDigestKey(masterKey)).update(canonicalJson(data)).digest('hex')
  );
}

const TAG_INFO = 'passerelle/audit-leaf-tag/v1';
const tagKeys = new WeakMap<Buffer, Buffer>();

/**
 * Keyed tag of a tree leaf: HMAC-SHA-256(K_tag, idx ‖ ":" ‖ leaf hash hex), K_tag derived from
 * MASTER_KEY like the digest key (info "passerelle/audit-leaf-tag/v1"). Whoever rewrites a row
 * and recomputes every public hash after it cannot recompute these.
 */
function tagKey(masterKey: Buffer): Buffer {
  let key = tagKeys.get(masterKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), TAG_INFO, 32));
    tagKeys.set(masterKey, key);
  }
  return key;
}

export function leafTag(masterKey: Buffer, index: number, leafHashHex: string): string {
  return createHmac('sha256', tagKey(masterKey)).update(`${index}:${leafHashHex}`).digest('hex');
}

/**
 * Names the tag key without revealing it (HMAC of "key-check", 16 hex), signed into every
 * checkpoint: a verifier tells "I hold another MASTER_KEY" from "the tags were altered".
 */
export function tagKeyId(masterKey: Buffer): string {
  return createHmac('sha256', tagKey(masterKey)).update('key-check').digest('hex').slice(0, 16);
}
