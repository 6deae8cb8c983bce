/**
 * The consent receipt: a compact JWS (ES256, gateway key, `kid`) over the canonical consent
 * artefact, so that the requesting service and the citizen can both prove what was agreed.
 * Verifiable by anyone with the public JWKS (`/.well-known/jwks.json`).
 *
 * It deliberately has no `exp`: a receipt proves an agreement made in the past and must keep
 * verifying after the consent ended (`expires_at` says until when it was valid). It names the
 * citizen by a pairwise pseudonym only, never by identity.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { canonicalJson } from '../audit/index.js';
import type { FetchMode } from './consent.contract.js';

/** JWS `typ` header of receipts (RFC 8725 §3.11: explicit typing, never mistaken for a token). */
export const RECEIPT_TYP = 'passerelle-consent+jwt';

export interface ReceiptClaims {
  iss: string;
  iat: number;
  consent_id: string;
  consent_request_id: string;
  client_id: string;
  client_siret: string;
  /** Pairwise pseudonym of the citizen for this client (see citizenPseudonym). */
  citizen: string;
  datasets: string[];
  /** The request's purpose: the specific case. */
  purpose: string;
  /** The habilitation's purpose: the legal purpose the case falls within. */
  habilitation_purpose: string;
  legal_basis: string;
  /** ISO 8601 */
  valid_from: string;
  /** ISO 8601 */
  expires_at: string;
  fetch_mode: FetchMode;
}

/**
 * The citizen as a requesting service knows them: HMAC(k, clientUuid:citizenId), k derived from
 * the master key. Stable for one client (its consents for one person can be matched), different
 * for each client (two services cannot join their records on it), and revealing nothing of our
 * internal citizen id, like FranceConnect's pairwise `sub`.
 */
export function citizenPseudonym(masterKey: Buffer, clientUuid: string, citizenId: string): string {
  const key = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.alloc(0), 'passerelle citizen pseudonym v1', 32),
  );
  return createHmac('sha256', key).update(`${clientUuid}:${citizenId}`).digest('base64url');
}

/**
 * Claims in canonical key order: SignJWT serializes the object in insertion order, so the
 * signed payload bytes are exactly `canonicalJson(claims)` (the issuer set by the signer is
 * already in place and keeps its position).
 */
export function canonicalReceiptClaims(claims: ReceiptClaims): ReceiptClaims {
  return JSON.parse(canonicalJson(claims)) as ReceiptClaims;
}
