/**
 * What an audit event is as a leaf of the transparency log (RFC 9162 §2.1):
 * leaf hash = SHA-256(0x00 ‖ leafEntry(event)), leafEntry = canonical JSON of every stored field
 * of the event but its sequence number (the leaf's position says where it is), including the
 * chain's prev_hash and hash. Dependency-free: scripts/verify-proof.ts recomputes it offline.
 */
import { canonicalJson } from './canonical-json.js';
import { leafHash } from './merkle.js';

export const LEAF_FORMAT = 'passerelle-audit-leaf/1';

/** An audit event as the proof bundle and the leaf carry it (dates as ISO 8601 strings). */
export interface LeafEvent {
  id: string;
  occurredAt: string;
  kind: string;
  actor: string;
  clientId: string | null;
  citizenId: string | null;
  consentId: string | null;
  datasetId: string | null;
  outcome: string;
  httpStatus: number | null;
  durationMs: number | null;
  requestId: string | null;
  payloadDigest: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
}

export function leafEntry(e: LeafEvent): string {
  return canonicalJson([
    LEAF_FORMAT,
    e.id,
    e.occurredAt,
    e.kind,
    e.actor,
    e.clientId,
    e.citizenId,
    e.consentId,
    e.datasetId,
    e.outcome,
    e.httpStatus,
    e.durationMs,
    e.requestId,
    e.payloadDigest,
    e.details ?? null,
    e.prevHash,
    e.hash,
  ]);
}

export function eventLeafHash(e: LeafEvent): Buffer {
  return leafHash(Buffer.from(leafEntry(e), 'utf8'));
}

/** A stored row: the same fields, its date as a Date. */
export type StoredLeafRow = Omit<LeafEvent, 'occurredAt'> & { occurredAt: Date };

/** A stored row (Date, bigint seq) as a LeafEvent. */
export function toLeafEvent(row: StoredLeafRow): LeafEvent {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    kind: row.kind,
    actor: row.actor,
    clientId: row.clientId,
    citizenId: row.citizenId,
    consentId: row.consentId,
    datasetId: row.datasetId,
    outcome: row.outcome,
    httpStatus: row.httpStatus,
    durationMs: row.durationMs,
    requestId: row.requestId,
    payloadDigest: row.payloadDigest,
    details: row.details ?? null,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
