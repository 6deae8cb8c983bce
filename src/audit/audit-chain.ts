import { createHash } from 'node:crypto';
import type { StoredLeafRow } from './audit-leaf.js';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields covered by the chain: everything but the database's own sequence number. */
export type ChainedFields = Omit<StoredLeafRow, 'hash'>;

/** hash = sha256(canonical row ‖ previous hash): editing, removing or moving a row breaks it. */
export function chainHash(row: ChainedFields): string {
  const canonical = canonicalJson([
    row.id,
    row.occurredAt.toISOString(),
    row.kind,
    row.actor,
    row.clientId,
    row.citizenId,
    row.consentId,
    row.datasetId,
    row.outcome,
    row.httpStatus,
    row.durationMs,
    row.requestId,
    row.payloadDigest,
    row.details ?? null,
  ]);
  return createHash('sha256').update(canonical).update('\n').update(row.prevHash).digest('hex');
}

export interface ChainBreak {
  seq: string;
  id: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch';
}

/**
 * Walks rows in sequence order; returns the first broken link. `previousHash` lets a caller
 * verify in pages without holding the whole log in memory.
 */
export function verifyRows(
  rows: Array<ChainedFields & { seq: bigint; hash: string }>,
  previousHash: string,
): { ok: true; lastHash: string } | { ok: false; broken: ChainBreak } {
  let prev = previousHash;
  for (const row of rows) {
    if (row.prevHash !== prev) {
      return {
        ok: false,
        broken: { seq: row.seq.toString(), id: row.id, reason: 'prev_hash_mismatch' },
      };
    }
    if (chainHash(row) !== row.hash) {
      return {
        ok: false,
        broken: { seq: row.seq.toString(), id: row.id, reason: 'hash_mismatch' },
      };
    }
    prev = row.hash;
  }
  return { ok: true, lastHash: prev };
}
