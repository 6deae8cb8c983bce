/**
 * Crypto-shredding of the identity pivot kept for a consent's later fetches.
 *
 * Each consent gets its own random 256-bit data key. The identity is sealed with that key and
 * the key itself is stored wrapped by the master key. Destroying the wrapped key (revocation,
 * expiry) makes the ciphertext unreadable for good, even from backups taken afterwards that
 * still hold the ciphertext, and without having to find and overwrite every copy of it.
 *
 * Both ciphertexts bind the consent id as associated data: a ciphertext or a wrapped key copied
 * onto another consent's row does not open.
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../audit/index.js';
import { decrypt, encrypt } from '../common/index.js';
import { IDENTITY_PIVOT_CLAIMS, type IdentityPivot } from '../identity/index.js';

export interface SealedIdentity {
  identityCiphertext: string;
  wrappedKey: string;
}

export const identityContext = (consentId: string) => `consent:${consentId}`;
export const keyContext = (consentId: string) => `consent-key:${consentId}`;

/**
 * Only the six pivot claims providers are called with: email and usage name are not needed
 * for a fetch, so they are not kept.
 */
export function pivotOnly(identity: IdentityPivot): IdentityPivot {
  const out: Record<string, string> = {};
  for (const claim of IDENTITY_PIVOT_CLAIMS) out[claim] = identity[claim] ?? '';
  return out as unknown as IdentityPivot;
}

export function sealIdentity(
  masterKey: Buffer,
  consentId: string,
  identity: IdentityPivot,
): SealedIdentity {
  const dataKey = randomBytes(32);
  try {
    return {
      identityCiphertext: encrypt(
        dataKey,
        canonicalJson(pivotOnly(identity)),
        identityContext(consentId),
      ),
      wrappedKey: encrypt(masterKey, dataKey, keyContext(consentId)),
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Throws when the key is gone (null) or either ciphertext does not authenticate. */
export function openSealedIdentity(
  masterKey: Buffer,
  consentId: string,
  sealed: { identityCiphertext: string | null; wrappedKey: string | null },
): IdentityPivot {
  if (!sealed.wrappedKey || !sealed.identityCiphertext) throw new Error('identity key destroyed');
  const dataKey = decrypt(masterKey, sealed.wrappedKey, keyContext(consentId));
  try {
    const plain = decrypt(dataKey, sealed.identityCiphertext, identityContext(consentId));
    return JSON.parse(plain.toString('utf8')) as IdentityPivot;
  } finally {
    dataKey.fill(0);
  }
}
